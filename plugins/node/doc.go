// Command langpack-node is the Node.js LangPack adapter: it finds node,
// installs an algorithm's package.json dependencies into its node_modules
// with npm, runs its tests with node --test, scaffolds new algorithms, and
// runs them with the runner from langpacks/node.
package main
