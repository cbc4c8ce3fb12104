using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Hardening;

/// <summary>
/// The upstream refusing, black-holed (connect timeout), resetting mid-stream; the client resetting
/// mid-stream. Each time the proxy must end the affected connections promptly, release their
/// descriptors, and keep serving. (The older implementations have no connect timeout at all.)
/// </summary>
public sealed class UpstreamFailureHardeningTests
{
    private const int Parallel = 20;
    private const int RequestBytes = 256 * 1024;

    /// <summary>Sockets must all be released; pipes may stay pooled by the splice relay (bounded).</summary>
    private static async Task AssertDescriptorsReturnAsync(int pid, int socketsBefore, string what)
    {
        int after = await ProcessProbe.WaitForAsync(() => ProcessProbe.Sockets(pid), n => n <= socketsBefore, TimeSpan.FromSeconds(10));
        Assert.True(after <= socketsBefore, $"{what}: the proxy holds {after} sockets, {socketsBefore} before ({ProcessProbe.DescribeFds(pid)})");
        Assert.True(ProcessProbe.Pipes(pid) <= 4 * Parallel + 32, $"{what}: the proxy holds {ProcessProbe.Pipes(pid)} pipe ends ({ProcessProbe.DescribeFds(pid)})");
    }

    /// <summary>Connects through the proxy, sends a header and a request; returns how and when the proxy ended it.</summary>
    private static async Task<(ReceiveResult Result, TimeSpan Elapsed)> SendAndWaitForEndAsync(TestNetwork net, TimeSpan within)
    {
        using Socket s = await net.ConnectThroughProxyAsync();
        var clock = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(within);
        try
        {
            await Streams.SendAllAsync(s, "request"u8.ToArray(), cts.Token);
        }
        catch (SocketException)
        {
            // Already refused.
        }
        try
        {
            ReceiveResult r = await Streams.ReceiveAsync(s, ct: cts.Token);
            return (r, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            return (new ReceiveResult(0, "", StreamEnd.None, "still open"), clock.Elapsed);
        }
    }

    [Fact]
    public Task Refusing_upstream_ends_each_connection_at_once_and_the_proxy_recovers() => E2E.RunAsync(async net =>
    {
        // Nothing listens on the target yet.
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net, ProxyLauncher.Arguments("-v", "1"));
        int fds = ProcessProbe.Sockets(proxy.Id);

        var results = await Task.WhenAll(Enumerable.Range(0, Parallel).Select(_ => SendAndWaitForEndAsync(net, TimeSpan.FromSeconds(5))));
        Assert.All(results, r =>
        {
            Assert.True(r.Result.End is StreamEnd.Reset or StreamEnd.Eof, $"connection not ended: {r.Result.End} {r.Result.Error}");
            Assert.Equal(0, r.Result.Bytes);
            Assert.True(r.Elapsed < TimeSpan.FromSeconds(2), $"refused upstream took {r.Elapsed.TotalSeconds:F2} s to end the client connection");
        });
        await ProcessLog.WaitForAsync(proxy, "connection refused"); // logging is asynchronous: the client can see the end first
        Assert.Contains("connection refused", proxy.Output, StringComparison.Ordinal);
        await AssertDescriptorsReturnAsync(proxy.Id, fds, "after refused upstream connections");

        Upstream upstream = net.StartUpstream(Handlers.Echo);
        await RelayProbe.AssertRelaysAsync(net, upstream, "once the upstream listens");
        Assert.False(proxy.HasExited);
    });

    [Fact]
    public Task Black_holed_upstream_is_given_up_at_the_connect_timeout() => E2E.RunAsync(async net =>
    {
        // A listener whose accept queue is full: Linux drops further SYNs (no RST), exactly what a
        // black-holed route looks like to the connecting side, without iptables.
        const int BlackHolePort = 7002;
        using Socket hole = NetworkNamespace.CreateSocket(net.ServerNs, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        hole.Bind(new IPEndPoint(IPAddress.Loopback, BlackHolePort));
        hole.Listen(0);
        using Socket filler = await net.ConnectAsync(net.ServerNs, new IPEndPoint(IPAddress.Loopback, BlackHolePort));
        using (Socket check = NetworkNamespace.CreateSocket(net.ServerNs, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            using var checkCts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await check.ConnectAsync(new IPEndPoint(IPAddress.Loopback, BlackHolePort), checkCts.Token));
        }

        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net,
        [
            "-l", "0.0.0.0:" + TestNetwork.ProxyPort, "-4", "127.0.0.1:" + BlackHolePort, "-6", "[::1]:" + BlackHolePort,
            "-v", "1", "--connect-timeout", "1s",
        ]);
        int fds = ProcessProbe.Sockets(proxy.Id);

        var results = await Task.WhenAll(Enumerable.Range(0, Parallel).Select(_ => SendAndWaitForEndAsync(net, TimeSpan.FromSeconds(10))));
        string times = string.Join(", ", results.Select(r => r.Elapsed.TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(results, r =>
        {
            Assert.True(r.Result.End is StreamEnd.Reset or StreamEnd.Eof, $"connection not ended: {r.Result.End} {r.Result.Error} (times {times})");
            Assert.True(r.Elapsed >= TimeSpan.FromSeconds(0.9) && r.Elapsed < TimeSpan.FromSeconds(3), $"ended after {r.Elapsed.TotalSeconds:F2} s, expected about 1 s (times {times})");
        });
        await ProcessLog.WaitForAsync(proxy, $"no answer from 127.0.0.1:{BlackHolePort} within 1000 ms"); // logging is asynchronous: the client can see the end first
        Assert.Contains($"no answer from 127.0.0.1:{BlackHolePort} within 1000 ms", proxy.Output, StringComparison.Ordinal);
        await AssertDescriptorsReturnAsync(proxy.Id, fds, "after black-holed upstream connections");
        Assert.False(proxy.HasExited);
    });

    [Theory]
    [InlineData("splice")]
    [InlineData("copy")]
    public Task Upstream_reset_mid_stream_resets_the_client_and_frees_the_connection(string relay) => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(async c =>
        {
            // Reads the request, streams part of an answer, then resets mid-stream.
            _ = await Streams.ReceiveExactlyAsync(c.Socket, RequestBytes);
            await Streams.SendPatternAsync(c.Socket, 1 << 20);
            Streams.Abort(c.Socket);
        });
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net, ProxyLauncher.Arguments(["-v", "1", .. ProxyLauncher.Relay(relay)]));
        int fds = ProcessProbe.Sockets(proxy.Id);

        string[] ends = await Task.WhenAll(Enumerable.Range(0, Parallel).Select(async _ =>
        {
            using Socket s = await net.ConnectThroughProxyAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            // The request is sent in full before anything is read, so that only one operation is
            // pending when the reset arrives: with a send and a receive both pending, the kernel hands
            // ECONNRESET to one of them and plain end-of-stream to the other, and a test would then
            // blame the proxy for the client's own race.
            await Streams.SendPatternAsync(s, RequestBytes, cts.Token);
            try
            {
                ReceiveResult r = await Streams.ReceiveAsync(s, ct: cts.Token);
                return r.End == StreamEnd.Reset ? "reset" : $"{r.End} {r.Error} after {r.Bytes} B";
            }
            catch (OperationCanceledException)
            {
                return "still open after 10 s";
            }
        }));
        Assert.All(ends, e => Assert.Equal("reset", e));
        await AssertDescriptorsReturnAsync(proxy.Id, fds, "after upstream resets");
        Assert.False(proxy.HasExited);
    });

    [Fact]
    public Task Client_reset_mid_stream_resets_the_upstream_and_frees_the_connection() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(async c =>
        {
            // Streams a lot at the client; the send must fail when the client resets.
            try
            {
                await Streams.SendPatternAsync(c.Socket, 1L << 30);
                c.Received = new ReceiveResult(1L << 30, "", StreamEnd.Eof, "sent everything");
            }
            catch (SocketException e)
            {
                c.Received = new ReceiveResult(0, "", e.SocketErrorCode == SocketError.ConnectionReset ? StreamEnd.Reset : StreamEnd.Error, e.SocketErrorCode.ToString());
            }
            c.Socket.Dispose();
        });
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net, ProxyLauncher.Arguments("-v", "1"));
        int fds = ProcessProbe.Sockets(proxy.Id);

        await Task.WhenAll(Enumerable.Range(0, Parallel).Select(async i =>
        {
            Socket s = await net.ConnectThroughProxyAsync();
            _ = await Streams.ReceiveExactlyAsync(s, 512 * 1024);
            Streams.Abort(s);
        }));
        var clock = Stopwatch.StartNew();
        foreach (UpstreamConnection c in upstream.Accepted)
        {
            await c.WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.Equal(Parallel, upstream.AcceptedCount);
        Assert.All(upstream.Accepted, c => Assert.True(c.Received!.End is StreamEnd.Reset or StreamEnd.Error,
            $"the upstream of a reset client ended with {c.Received.End} ({c.Received.Error})"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"upstream connections ended {clock.Elapsed.TotalSeconds:F1} s after the client resets");
        await AssertDescriptorsReturnAsync(proxy.Id, fds, "after client resets");
        Assert.False(proxy.HasExited);
    });

    /// <summary>
    /// 256 MiB (1 GiB with MMPROXY_HARDENING_FULL=1; MMPROXY_HARDENING_SLOW_BYTES overrides) from the
    /// upstream to a client that first stops reading for 2 s, then reads in bursts with pauses. The
    /// proxy must apply backpressure, not buffer: its RSS grows by less than 64 MiB, and during the
    /// stall the upstream gets no further than the socket buffers allow.
    /// </summary>
    [Fact]
    public Task Slow_reading_client_gets_backpressure_not_buffering() => E2E.RunAsync(async net =>
    {
        long total = HardeningSettings.Size("MMPROXY_HARDENING_SLOW_BYTES", 256L << 20, 1L << 30);
        const long RssBoundKb = 64 * 1024;
        const long StallBound = 48L << 20;
        long sent = 0;
        Upstream upstream = net.StartUpstream(async c =>
        {
            // Chunk by chunk, counting progress.
            long offset = 0;
            while (offset < total)
            {
                ReadOnlyMemory<byte> slice = CyclicPattern.Slice(offset, (int)Math.Min(64 * 1024, total - offset));
                await Streams.SendAllAsync(c.Socket, slice);
                offset += slice.Length;
                Interlocked.Exchange(ref sent, offset);
            }
            c.Socket.Shutdown(SocketShutdown.Send);
            c.Socket.Dispose();
        });
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net, ProxyLauncher.Arguments("-v", "1"));
        int pid = proxy.Id;
        long rssBefore = ProcessProbe.RssKb(pid);
        long rssMax = rssBefore;
        using var sampling = new CancellationTokenSource();
        Task sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                long rss = ProcessProbe.RssKb(pid);
                Interlocked.Exchange(ref rssMax, Math.Max(Interlocked.Read(ref rssMax), rss));
                try
                {
                    await Pace.WaitAsync(50, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        using Socket s = await net.ConnectThroughProxyAsync();
        s.ReceiveBufferSize = 64 * 1024;
        await upstream.NextAsync();
        // Stall: read nothing; the upstream must stop once the buffers on the way are full.
        // The window itself is what is tested: no progress may happen inside it.
        await Pace.WaitAsync(2000);
        long stalledAt = Interlocked.Read(ref sent);
        await Pace.WaitAsync(500);
        long afterStall = Interlocked.Read(ref sent);
        long rssStalled = ProcessProbe.RssKb(pid);

        var clock = Stopwatch.StartNew();
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        long received = 0, sinceBreak = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(HardeningSettings.Full ? 300 : 90));
        while (true)
        {
            int n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                break;
            }
            hash.AppendData(buffer, 0, n);
            received += n;
            sinceBreak += n;
            if (sinceBreak >= 4 << 20)
            {
                // A slow reader: a pause after every 4 MiB.
                sinceBreak = 0;
                await Pace.WaitAsync(10, cts.Token);
            }
        }
        clock.Stop();
        await sampling.CancelAsync();
        await sampler;

        string summary = $"slow-reader: {total >> 20} MiB in {clock.Elapsed.TotalSeconds:F1} s; upstream sent {stalledAt >> 20} MiB after 2 s of stall, {afterStall >> 20} MiB after 2.5 s; " +
            $"proxy RSS {rssBefore / 1024} MiB before, {rssStalled / 1024} MiB stalled, max {rssMax / 1024} MiB (+{(rssMax - rssBefore) / 1024} MiB)";
        HardeningSettings.Record(summary);
        net.Note(summary);
        Assert.Equal((total, CyclicPattern.Hash(total)), (received, Convert.ToHexString(hash.GetHashAndReset())));
        Assert.True(afterStall == stalledAt, $"the upstream kept sending while the client read nothing: {summary}");
        Assert.True(afterStall < StallBound, $"more than {StallBound >> 20} MiB left the upstream while the client read nothing: {summary}");
        Assert.True(rssMax - rssBefore < RssBoundKb, $"the proxy buffered: {summary}");
        Assert.False(proxy.HasExited);
    });
}
