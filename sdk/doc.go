// Package sdk is everything a LangPack adapter author needs: the LangPack
// interface with Go-native request and response types, Serve for the adapter
// side, Launch for the host side, PipeRunners (a ready-made runner manager
// built on the pipe driver), Basic (Info, Setup and Scaffold from
// declarations), and helpers for build, test and scaffold steps.
//
// An adapter is a small executable whose LangPack embeds Basic and
// PipeRunners and writes Build and Test:
//
//	type myLangPack struct {
//		sdk.Basic
//		*sdk.PipeRunners
//	}
//
//	func main() {
//		sdk.Serve(&myLangPack{Basic: sdk.Basic{InfoResponse: info}, PipeRunners: sdk.NewPipeRunners(runnerCommand)})
//	}
//
// The supervisor starts it through hashicorp/go-plugin and talks to it over
// gRPC; the service is defined in sdk/proto/langpack.proto so adapters can be
// written in other languages too. Two levels of versioning: Handshake for the
// transport, and InfoResponse.APIVersions for features (the host uses the
// highest version both sides list; see NegotiateAPIVersion). Optional features
// are Capabilities, not version bumps.
package sdk
