using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests;

/// <summary>TCP semantics across the proxy: half-close in both directions, resets in both directions.</summary>
public sealed class RelayTests
{
    private const int RequestSize = 3 << 20;
    private const int ReplySize = 5 << 20;

    [Fact]
    public Task Client_half_close_still_receives_the_full_reply() => E2E.RunAsync(async net =>
    {
        // The upstream answers only after it has read the request to end of stream.
        Upstream upstream = net.StartUpstream(Handlers.SinkThenSend(ReplySize));
        await net.StartProxyAsync();
        using Socket client = await net.ConnectThroughProxyAsync(localPort: 43000);
        using var cts = new CancellationTokenSource(TestNetwork.DefaultTimeout);

        await Streams.SendPatternAsync(client, RequestSize, cts.Token);
        client.Shutdown(SocketShutdown.Send);
        ReceiveResult reply = await Streams.ReceiveAsync(client, ct: cts.Token);

        UpstreamConnection seen = await upstream.NextAsync();
        await seen.WaitAsync();
        Assert.Equal(new IPEndPoint(net.ClientV4, 43000), seen.Remote);
        Assert.Equal((RequestSize, Streams.PatternHash(RequestSize), StreamEnd.Eof), (seen.Received!.Bytes, seen.Received.Sha256, seen.Received.End));
        Assert.Equal((ReplySize, Streams.PatternHash(ReplySize), StreamEnd.Eof), (reply.Bytes, reply.Sha256, reply.End));
    });

    [Fact]
    public Task Upstream_half_close_still_receives_the_full_request() => E2E.RunAsync(async net =>
    {
        // The upstream speaks first, shuts its write side, then reads the client's whole answer.
        Upstream upstream = net.StartUpstream(async c =>
        {
            await Streams.SendPatternAsync(c.Socket, ReplySize);
            c.Socket.Shutdown(SocketShutdown.Send);
            c.Received = await Streams.ReceiveAsync(c.Socket);
            c.Socket.Dispose();
        });
        await net.StartProxyAsync();
        using Socket client = await net.ConnectThroughProxyAsync(localPort: 43001);
        using var cts = new CancellationTokenSource(TestNetwork.DefaultTimeout);

        ReceiveResult first = await Streams.ReceiveAsync(client, ct: cts.Token);
        Assert.Equal((ReplySize, Streams.PatternHash(ReplySize), StreamEnd.Eof), (first.Bytes, first.Sha256, first.End));
        // Only now, after end of stream from the upstream, does the client send.
        await Streams.SendPatternAsync(client, RequestSize, cts.Token);
        client.Shutdown(SocketShutdown.Send);

        UpstreamConnection seen = await upstream.NextAsync();
        await seen.WaitAsync();
        Assert.Equal((RequestSize, Streams.PatternHash(RequestSize), StreamEnd.Eof), (seen.Received!.Bytes, seen.Received.Sha256, seen.Received.End));
    });

    [Fact]
    public Task Client_reset_resets_the_upstream_connection() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Sink);
        await net.StartProxyAsync();
        Socket client = await net.ConnectThroughProxyAsync();
        await Streams.SendAllAsync(client, "some request bytes"u8.ToArray());
        UpstreamConnection seen = await upstream.NextAsync();

        Streams.Abort(client);

        await seen.WaitAsync();
        Assert.True(seen.Received!.End == StreamEnd.Reset,
            $"the upstream saw {seen.Received.End} ({seen.Received.Error}) after the client reset its connection; expected a reset");
    });

    [Fact]
    public Task Upstream_reset_reaches_the_client() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(async c =>
        {
            _ = await Streams.ReceiveExactlyAsync(c.Socket, 5);
            Streams.Abort(c.Socket);
        });
        await net.StartProxyAsync();
        using Socket client = await net.ConnectThroughProxyAsync();
        await Streams.SendAllAsync(client, "hello"u8.ToArray());
        using var cts = new CancellationTokenSource(TestNetwork.DefaultTimeout);

        ReceiveResult r = await Streams.ReceiveAsync(client, ct: cts.Token);

        Assert.True(r.End == StreamEnd.Reset, $"the client saw {r.End} ({r.Error}) after the upstream reset; expected a reset");
        Assert.Equal(0, r.Bytes);
    });
}
