using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests;

/// <summary>
/// Key relay semantics in both relay modes of the one TCP engine, so the one that is not the
/// default stays covered: splicing (default) and copying every byte (--splice-threshold 0): the
/// client's exact address, half-close, and resets both ways.
/// </summary>
public sealed class RelayModeTests
{
    private const int RequestSize = 3 << 20;
    private const int ReplySize = 5 << 20;

    private static string[] Relay(string mode) => mode == "copy" ? ["--splice-threshold", "0"] : [];

    [Theory]
    [InlineData("splice", 43100)]
    [InlineData("copy", 43101)]
    public Task Client_address_and_half_close_are_preserved(string relay, int port) => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.SinkThenSend(ReplySize));
        await net.StartProxyAsync(extra: Relay(relay));
        using Socket client = await net.ConnectThroughProxyAsync(localPort: port);
        using var cts = new CancellationTokenSource(TestNetwork.DefaultTimeout);

        await Streams.SendPatternAsync(client, RequestSize, cts.Token);
        client.Shutdown(SocketShutdown.Send);
        ReceiveResult reply = await Streams.ReceiveAsync(client, ct: cts.Token);

        UpstreamConnection seen = await upstream.NextAsync();
        await seen.WaitAsync();
        Assert.Equal(new IPEndPoint(net.ClientV4, port), seen.Remote);
        Assert.Equal((RequestSize, Streams.PatternHash(RequestSize), StreamEnd.Eof), (seen.Received!.Bytes, seen.Received.Sha256, seen.Received.End));
        Assert.Equal((ReplySize, Streams.PatternHash(ReplySize), StreamEnd.Eof), (reply.Bytes, reply.Sha256, reply.End));
    });

    [Theory]
    [InlineData("splice")]
    [InlineData("copy")]
    public Task Client_reset_resets_the_upstream_connection(string relay) => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Sink);
        await net.StartProxyAsync(extra: Relay(relay));
        Socket client = await net.ConnectThroughProxyAsync();
        await Streams.SendAllAsync(client, "some request bytes"u8.ToArray());
        UpstreamConnection seen = await upstream.NextAsync();

        Streams.Abort(client);

        await seen.WaitAsync();
        Assert.True(seen.Received!.End == StreamEnd.Reset,
            $"the upstream saw {seen.Received.End} ({seen.Received.Error}) after the client reset its connection; expected a reset");
    });

    [Theory]
    [InlineData("splice")]
    [InlineData("copy")]
    public Task Upstream_reset_reaches_the_client(string relay) => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(async c =>
        {
            _ = await Streams.ReceiveExactlyAsync(c.Socket, 5);
            Streams.Abort(c.Socket);
        });
        await net.StartProxyAsync(extra: Relay(relay));
        using Socket client = await net.ConnectThroughProxyAsync();
        await Streams.SendAllAsync(client, "hello"u8.ToArray());
        using var cts = new CancellationTokenSource(TestNetwork.DefaultTimeout);

        ReceiveResult r = await Streams.ReceiveAsync(client, ct: cts.Token);

        Assert.True(r.End == StreamEnd.Reset, $"the client saw {r.End} ({r.Error}) after the upstream reset; expected a reset");
        Assert.Equal(0, r.Bytes);
    });
}
