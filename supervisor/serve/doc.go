// Package serve is `langserver serve`: it loads an HCL configuration,
// launches the LangPack adapters it needs, keeps a pool of runners per
// algorithm version, opens the job store of server.data_dir and serves the
// algorithm API over them.
package serve
