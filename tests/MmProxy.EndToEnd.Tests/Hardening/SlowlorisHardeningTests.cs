using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Hardening;

/// <summary>
/// Slowloris: thousands of connections that send nothing, half a header, or a header one byte at a
/// time (every 250 ms) must all be closed at
/// --header-timeout, while a bulk transfer through the same proxy completes intact. The older
/// implementations have no header timeout at all (one silent connection holds resources forever).
/// CI and full runs both use 5,000 connections (MMPROXY_HARDENING_SLOWLORIS overrides).
/// </summary>
public sealed class SlowlorisHardeningTests
{
    private static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(2);
    // A closing may be late by this much: 5,000 timers fire together on a 2-core machine.
    private static readonly TimeSpan Lateness = TimeSpan.FromSeconds(3);
    private const long BulkBytes = 64L << 20;

    [Fact]
    public Task Silent_and_half_header_connections_are_all_closed_at_the_header_timeout_while_bulk_traffic_flows() => E2E.RunAsync(async net =>
    {
        int count = (int)HardeningSettings.Size("MMPROXY_HARDENING_SLOWLORIS", 5_000, 5_000);
        FdLimit.Ensure((ulong)count * 2 + 2_000);
        await ProxyLauncher.PrepareForChurnAsync(net);
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net,
            ProxyLauncher.Arguments("-v", "0", "--header-timeout", $"{HeaderTimeout.TotalMilliseconds}ms"));
        int pid = proxy.Id;
        int fdsBefore = ProcessProbe.Sockets(pid);
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);

        using var supply = new SocketSupply(net.ClientNs, AddressFamily.InterNetwork, batch: 1_000);
        var sockets = new Socket[count];
        for (int i = 0; i < count; i++)
        {
            sockets[i] = supply.Take();
        }
        byte[] halfV1 = Encoding.ASCII.GetBytes("PROXY TCP4 198.51.100.7 198.51");
        byte[] halfV2 = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00];
        var clock = Stopwatch.StartNew();
        // Continuations run late under load: "started" is a moment surely before the proxy accepted,
        // "connected" one surely after the handshake; early closing is judged from the first, late from the second.
        var startedAt = new TimeSpan[count];
        var connectedAt = new TimeSpan[count];
        var closedAt = new TimeSpan[count];
        var ends = new string[count];

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            // Connect in waves, so the client side's own SYN queue is not the bottleneck.
            for (int start = 0; start < count; start += 500)
            {
                await Task.WhenAll(Enumerable.Range(start, Math.Min(500, count - start)).Select(async i =>
                {
                    startedAt[i] = clock.Elapsed;
                    await sockets[i].ConnectAsync(proxyEndPoint, cts.Token);
                    connectedAt[i] = clock.Elapsed;
                    byte[]? partial = (i % 4) switch { 1 => halfV1, 2 => halfV2, _ => null };
                    if (partial is not null)
                    {
                        await Streams.SendAllAsync(sockets[i], partial, cts.Token);
                    }
                }));
            }
            TimeSpan allConnected = clock.Elapsed;

            // A quarter trickle a valid v1 line one byte every 250 ms: still too slow, so the header
            // timeout must be a deadline for the whole header, not an idle timer reset by each byte.
            byte[] trickle = Encoding.ASCII.GetBytes("PROXY TCP4 198.51.100.7 198.51.100.8 40000 7000\r\n");
            Task trickling = Task.WhenAll(Enumerable.Range(0, count).Where(i => i % 4 == 3).Select(async i =>
            {
                try
                {
                    for (int b = 0; b < trickle.Length - 1; b++)
                    {
                        await sockets[i].SendAsync(trickle.AsMemory(b, 1), SocketFlags.None, cts.Token);
                        await Pace.WaitAsync(250, cts.Token);
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // Closed by the proxy: expected.
                }
            }));

            Task<string> watchers = Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                byte[] buffer = new byte[64];
                try
                {
                    int n = await sockets[i].ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                    ends[i] = n == 0 ? "eof" : $"{n} bytes";
                }
                catch (SocketException e)
                {
                    ends[i] = e.SocketErrorCode == SocketError.ConnectionReset ? "reset" : e.SocketErrorCode.ToString();
                }
                catch (OperationCanceledException)
                {
                    ends[i] = "still open";
                }
                closedAt[i] = clock.Elapsed;
            })).ContinueWith(_ => "done", TaskScheduler.Default);

            // The bulk transfer runs while the slow connections hold their slots.
            var bulkClock = Stopwatch.StartNew();
            // A kernel-chosen port: a fixed one collided with the 5,000 slow connections now and then (EADDRINUSE).
            using Socket bulk = await net.ConnectThroughProxyAsync();
            Task send = Task.Run(async () =>
            {
                await Streams.SendPatternAsync(bulk, BulkBytes, cts.Token);
                bulk.Shutdown(SocketShutdown.Send);
            });
            ReceiveResult echoed = await Streams.ReceiveAsync(bulk, ct: cts.Token);
            await send;
            bulkClock.Stop();
            Assert.Equal((BulkBytes, Streams.PatternHash(BulkBytes), StreamEnd.Eof), (echoed.Bytes, echoed.Sha256, echoed.End));

            await watchers;
            await trickling;
            var held = Enumerable.Range(0, count).Select(i => closedAt[i] - connectedAt[i]).ToArray();
            int early = Enumerable.Range(0, count).Count(i => closedAt[i] - startedAt[i] < HeaderTimeout - TimeSpan.FromMilliseconds(50));
            int late = held.Count(h => h > HeaderTimeout + Lateness);
            string[] notClosed = [.. Enumerable.Range(0, count).Where(i => ends[i] is not ("eof" or "reset")).Select(i => $"#{i}: {ends[i]}")];
            int fdsAfter = await ProcessProbe.WaitForAsync(() => ProcessProbe.Sockets(pid), n => n <= fdsBefore, TimeSpan.FromSeconds(10));
            string summary = $"slowloris: {count} connections open after {allConnected.TotalSeconds:F1} s, held {held.Min().TotalSeconds:F2}-{held.Max().TotalSeconds:F2} s " +
                $"(timeout {HeaderTimeout.TotalSeconds} s; {ends.Count(e => e == "reset")} reset, {ends.Count(e => e == "eof")} eof); " +
                $"bulk {BulkBytes >> 20} MiB echoed in {bulkClock.Elapsed.TotalSeconds:F1} s; sockets {fdsBefore} -> {fdsAfter}";
            HardeningSettings.Record(summary);
            net.Note(summary);

            Assert.False(proxy.HasExited, "the proxy exited");
            Assert.True(notClosed.Length == 0, $"{notClosed.Length} connection(s) not closed by the proxy: {string.Join(", ", notClosed.Take(10))}\n{summary}");
            Assert.True(early == 0, $"{early} connection(s) closed before the header timeout\n{summary}");
            Assert.True(late == 0, $"{late} connection(s) closed more than {Lateness.TotalSeconds} s after the header timeout\n{summary}");
            Assert.True(fdsAfter <= fdsBefore, $"descriptors did not return\n{summary}");
            Assert.Equal(1, upstream.AcceptedCount);
        }
        finally
        {
            foreach (Socket s in sockets)
            {
                s.Dispose();
            }
        }
        await RelayProbe.AssertRelaysAsync(net, upstream, "after the slowloris wave");
    });
}
