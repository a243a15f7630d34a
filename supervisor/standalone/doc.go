// Package standalone is `langserver run`: one algorithm served the way the
// original Algorithmia LangServer served it (PROTOCOL.md §2a), through a
// LangPack adapter.
package standalone
