using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Operations;

/// <summary>SIGTERM: stop accepting, let open connections finish (--shutdown-timeout), close the rest, exit 0.</summary>
public sealed class ShutdownDrainTests
{
    private const int Size = 64 << 20;

    private static Task SigtermAsync(BackgroundProcess p) =>
        Command.CheckAsync("kill", "-TERM", p.Id.ToString(CultureInfo.InvariantCulture));

    [Fact]
    public Task In_flight_64_MiB_transfer_completes_after_sigterm() => E2E.RunAsync(async net =>
    {
        // The upstream reads everything, then answers with 64 MiB of its own.
        Upstream upstream = net.StartUpstream(Handlers.SinkThenSend(Size));
        BackgroundProcess proxy = await net.StartProxyAsync("0.0.0.0", "--shutdown-timeout", "30s", "--quiet");
        byte[] payload = Streams.Pattern(Size);

        using Socket client = await net.ConnectThroughProxyAsync();
        await Streams.SendAllAsync(client, payload.AsMemory(0, 1 << 20));
        UpstreamConnection seen = await upstream.NextAsync();

        await SigtermAsync(proxy);
        await CheckAndRoutingTests.WaitForOutputAsync(proxy, "waiting up to 30000 ms for 1 open connection(s)", TimeSpan.FromSeconds(15));
        // No longer accepting: the listener is closed while the transfer is still open.
        Assert.Equal(0, await net.CountListenersAsync(net.ServerNs, TestNetwork.ProxyPort));
        Assert.False(proxy.HasExited, "the proxy exited with a transfer in flight\n" + proxy.Describe());

        Task<ReceiveResult> reply = Streams.ReceiveAsync(client);
        await Streams.SendAllAsync(client, payload.AsMemory(1 << 20), new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        client.Shutdown(SocketShutdown.Send);
        ReceiveResult received = await reply;
        await seen.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Size, seen.Received!.Bytes);
        Assert.Equal(Streams.PatternHash(Size), seen.Received.Sha256);
        Assert.Equal(Size, received.Bytes);
        Assert.Equal(Streams.PatternHash(Size), received.Sha256);
        Assert.Equal(StreamEnd.Eof, received.End);

        await proxy.Exited.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, proxy.ExitCode);
        await CheckAndRoutingTests.WaitForOutputAsync(proxy, "All connections finished", TimeSpan.FromSeconds(5));
    });

    [Fact]
    public Task Connections_still_open_at_the_shutdown_timeout_are_closed_and_the_exit_is_clean() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Idle);
        BackgroundProcess proxy = await net.StartProxyAsync("0.0.0.0", "--shutdown-timeout", "1s", "--quiet");
        using Socket client = await net.ConnectThroughProxyAsync();
        await upstream.NextAsync();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await SigtermAsync(proxy);
        await proxy.Exited.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, proxy.ExitCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        await CheckAndRoutingTests.WaitForOutputAsync(proxy, "Closing 1 connection(s) still open", TimeSpan.FromSeconds(5));
        // The client learns: its connection ends.
        ReceiveResult end = await Streams.ReceiveAsync(client);
        Assert.Equal(0, end.Bytes);
    });

    [Fact]
    public Task A_second_signal_stops_the_drain() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Idle);
        BackgroundProcess proxy = await net.StartProxyAsync("0.0.0.0", "--shutdown-timeout", "60s", "--quiet");
        using Socket client = await net.ConnectThroughProxyAsync();
        await upstream.NextAsync();

        await SigtermAsync(proxy);
        await CheckAndRoutingTests.WaitForOutputAsync(proxy, "waiting up to 60000 ms", TimeSpan.FromSeconds(15));
        await SigtermAsync(proxy);
        await proxy.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, proxy.ExitCode);
    });
}
