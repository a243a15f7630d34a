// Command langpack-ruby is the Ruby LangPack adapter: it finds ruby,
// resolves an algorithm's Gemfile offline with Bundler against the installed
// (Debian) gems, runs its Minitest tests, scaffolds new algorithms, and runs
// them with the runner from langpacks/ruby.
package main
