package sdk

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/langserver/langserver/sdk/internal/langpackpb"
)

// Handshake is the go-plugin transport handshake. ProtocolVersion changes
// only when the transport itself changes; features are versioned by
// InfoResponse.APIVersions.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "LANGSERVER_LANGPACK",
	MagicCookieValue: "3f6c0b1e-langserver-langpack",
}

// PluginName is the name the LangPack service is dispensed under.
const PluginName = "langpack"

// ErrUnknownRunner is returned for a runner ID the adapter does not know,
// usually because the runner has exited.
var ErrUnknownRunner = errors.New("unknown runner")

// grpcPlugin connects a LangPack to go-plugin's gRPC transport.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl LangPack
	fast *fastServer
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	langpackpb.RegisterLangPackServer(s, &grpcServer{impl: p.impl, fast: p.fast})
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &grpcClient{client: langpackpb.NewLangPackClient(c)}, nil
}
