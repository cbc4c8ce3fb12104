using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.ProxyProtocol;

namespace MmProxy.EndToEnd.Tests.Hardening;

/// <summary>
/// Soak: many sequential short connections (header, request, echo, close). Afterwards the proxy's
/// open sockets are exactly what they were, its descriptors and resident memory back to the warm
/// figures within a stated tolerance, all read from /proc. CI: 10,000 connections;
/// MMPROXY_HARDENING_FULL=1: 100,000 (MMPROXY_HARDENING_SOAK overrides).
/// </summary>
public sealed class SoakHardeningTests
{
    private const int WarmUp = 1_000;
    // Pooled pipes (splice relay) and lazily mapped assemblies may add a few descriptors.
    private const int FdTolerance = 8;
    // Measured: the first 10,000 connections after warm-up add about 14 MiB (GC heap and pools
    // settling), the next 40,000 nothing. So: a bound on the total, and a tighter one on the second
    // half, where a per-connection leak would show.
    private const long RssToleranceKb = 32 * 1024;
    private const long SecondHalfToleranceKb = 8 * 1024;

    [Fact]
    public Task Sequential_short_connections_leave_no_descriptors_or_memory_behind() => E2E.RunAsync(async net =>
    {
        long count = HardeningSettings.Size("MMPROXY_HARDENING_SOAK", 10_000, 100_000);
        await ProxyLauncher.PrepareForChurnAsync(net);
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net, ProxyLauncher.Arguments("-v", "1"));
        int pid = proxy.Id;
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using var supply = new SocketSupply(net.ClientNs, AddressFamily.InterNetwork, batch: 1_000);
        byte[] payload = "soak request: a short exchange\n"u8.ToArray();
        byte[] buffer = new byte[4096];

        async Task OneAsync(long i)
        {
            // A unique claimed client per connection: the upstream side never reuses a 4-tuple.
            var claimed = new IPEndPoint(new IPAddress([198, 51, 100, (byte)(1 + (i % 254))]), 10_000 + (int)(i % 50_000));
            byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
                ProxyAddress.FromIPEndPoint(claimed), ProxyAddress.FromIPEndPoint(proxyEndPoint));
            using Socket s = supply.Take();
            s.NoDelay = true;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await s.ConnectAsync(proxyEndPoint, cts.Token);
            byte[] message = [.. header, .. payload];
            await Streams.SendAllAsync(s, message, cts.Token);
            byte[] echoed = await Streams.ReceiveExactlyAsync(s, payload.Length, cts.Token);
            Assert.True(echoed.AsSpan().SequenceEqual(payload), $"connection {i}: wrong echo");
            s.Shutdown(SocketShutdown.Send);
            int n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.True(n == 0, $"connection {i}: {n} unexpected byte(s) after the echo");
        }

        for (long i = 0; i < WarmUp; i++)
        {
            await OneAsync(i);
        }
        int socketsBefore = await ProcessProbe.WaitForAsync(() => ProcessProbe.Sockets(pid), n => n <= 2, TimeSpan.FromSeconds(5));
        int fdsBefore = ProcessProbe.OpenFds(pid);
        long rssBefore = ProcessProbe.RssKb(pid);
        string kindsBefore = ProcessProbe.DescribeFds(pid);

        var clock = Stopwatch.StartNew();
        long rssHalf = 0;
        for (long i = WarmUp; i < WarmUp + count; i++)
        {
            if (i == WarmUp + (count / 2))
            {
                rssHalf = ProcessProbe.RssKb(pid);
            }
            await OneAsync(i);
        }
        clock.Stop();

        int socketsAfter = await ProcessProbe.WaitForAsync(() => ProcessProbe.Sockets(pid), n => n <= socketsBefore, TimeSpan.FromSeconds(10));
        int fdsAfter = ProcessProbe.OpenFds(pid);
        long rssAfter = ProcessProbe.RssKb(pid);
        string summary = $"soak: {count} sequential connections in {clock.Elapsed.TotalSeconds:F1} s ({count / clock.Elapsed.TotalSeconds:F0}/s) after {WarmUp} warm-up; " +
            $"fds {fdsBefore} -> {fdsAfter} ({kindsBefore} -> {ProcessProbe.DescribeFds(pid)}), sockets {socketsBefore} -> {socketsAfter}, " +
            $"RSS {rssBefore / 1024.0:F1} MiB -> {rssHalf / 1024.0:F1} MiB half-way -> {rssAfter / 1024.0:F1} MiB, threads {ProcessProbe.Threads(pid)}";
        HardeningSettings.Record(summary);
        net.Note(summary);

        Assert.False(proxy.HasExited);
        Assert.Equal(WarmUp + count, upstream.AcceptedCount);
        Assert.True(socketsAfter == socketsBefore, $"sockets leaked: {summary}");
        Assert.True(fdsAfter <= fdsBefore + FdTolerance, $"descriptors grew by more than {FdTolerance}: {summary}");
        Assert.True(rssAfter - rssBefore < RssToleranceKb, $"resident memory grew by more than {RssToleranceKb / 1024} MiB: {summary}");
        Assert.True(rssAfter - rssHalf < SecondHalfToleranceKb, $"resident memory still grew by more than {SecondHalfToleranceKb / 1024} MiB in the second half: {summary}");
        Assert.DoesNotContain("mmproxy.connection[", proxy.Output, StringComparison.Ordinal); // no connection had a problem (-v 1 logs each)
    });
}
