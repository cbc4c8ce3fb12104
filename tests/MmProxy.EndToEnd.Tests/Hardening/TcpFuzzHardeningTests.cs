using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.ProxyProtocol.Tests.Fuzz;

namespace MmProxy.EndToEnd.Tests.Hardening;

/// <summary>
/// Random bytes and mutated PROXY headers (the protocol tests' structure-aware mutator) sent at the
/// running proxy over TCP, one connection each, with legitimate connections interleaved. The
/// process must stay up, close every connection, relay every legitimate one, and keep its memory
/// flat. CI: 4,000 connections; MMPROXY_HARDENING_FULL=1: 200,000 (MMPROXY_HARDENING_FUZZ_CASES
/// overrides; MMPROXY_FUZZ_SEED varies the seed).
/// </summary>
public sealed class TcpFuzzHardeningTests
{
    private const int Workers = 8;
    private const int ProbeEvery = 25;
    // After the first tenth (JIT, pools, GC heap sized), resident memory may not grow more than this.
    private const long RssToleranceKb = 24 * 1024;

    [Fact]
    public Task Mutated_headers_never_take_the_process_down_and_legitimate_traffic_still_flows() => E2E.RunAsync(async net =>
    {
        long cases = HardeningSettings.Size("MMPROXY_HARDENING_FUZZ_CASES", 4_000, 200_000);
        int seed = (int)HardeningSettings.Size("MMPROXY_FUZZ_SEED", 20261122, 20261122);
        await ProxyLauncher.PrepareForChurnAsync(net);
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net,
            ProxyLauncher.Arguments("-v", "0", "--header-timeout", "2s", "--connect-timeout", "2s"));
        int pid = proxy.Id;
        int fdsBefore = ProcessProbe.Sockets(pid);
        string fdKindsBefore = ProcessProbe.DescribeFds(pid);

        var mutator = new HeaderMutator(new Random(seed));
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using var supply = new SocketSupply(net.ClientNs, AddressFamily.InterNetwork);
        var failures = new List<string>();
        long next = -1, closedByProxy = 0, reset = 0, echoed = 0, probes = 0;
        long warmRssKb = 0, midRssKb = 0, maxRssKb = 0;
        long warmAt = cases / 10;
        var clock = Stopwatch.StartNew();

        async Task WorkerAsync(int worker)
        {
            var random = new Random(seed + worker);
            byte[] buffer = new byte[16 * 1024];
            while (true)
            {
                long i = Interlocked.Increment(ref next);
                if (i >= cases || proxy.HasExited)
                {
                    return;
                }
                if (i == warmAt)
                {
                    Interlocked.Exchange(ref warmRssKb, ProcessProbe.RssKb(pid));
                }
                if (i == cases / 2)
                {
                    Interlocked.Exchange(ref midRssKb, ProcessProbe.RssKb(pid));
                }
                if (i % 200 == 0)
                {
                    long rss = ProcessProbe.RssKb(pid);
                    lock (failures)
                    {
                        maxRssKb = Math.Max(maxRssKb, rss);
                    }
                }
                if (i % ProbeEvery == 0)
                {
                    Interlocked.Increment(ref probes);
                    string? problem = await RelayProbe.TryAsync(net, upstream, supply.Take());
                    if (problem is not null)
                    {
                        lock (failures)
                        {
                            failures.Add(problem);
                        }
                    }
                    continue;
                }

                byte[] input;
                if (i % 7 == 3)
                {
                    // Plain random bytes, sometimes starting like a header.
                    input = new byte[random.Next(1, 600)];
                    random.NextBytes(input);
                    if (random.Next(2) == 0)
                    {
                        byte[] start = random.Next(2) == 0 ? "PROXY "u8.ToArray() : [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
                        start.AsSpan(0, Math.Min(start.Length, input.Length)).CopyTo(input);
                    }
                }
                else
                {
                    lock (mutator)
                    {
                        input = mutator.Next();
                    }
                }
                // Half the cases carry payload after the header, as a real client would.
                if (random.Next(2) == 0)
                {
                    byte[] payload = new byte[random.Next(1, 3000)];
                    random.NextBytes(payload);
                    input = [.. input, .. payload];
                }
                using Socket s = supply.Take();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await s.ConnectAsync(proxyEndPoint, cts.Token);
                }
                catch (SocketException e)
                {
                    lock (failures)
                    {
                        failures.Add($"case {i}: connect failed: {e.SocketErrorCode}");
                    }
                    continue;
                }
                try
                {
                    await Streams.SendAllAsync(s, input, cts.Token);
                    s.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                    // Refused (reset) before everything was sent: allowed.
                }
                // The proxy must end every connection: invalid at once, incomplete at end of stream,
                // valid after the echo upstream has answered.
                try
                {
                    while (true)
                    {
                        int n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                        if (n == 0)
                        {
                            Interlocked.Increment(ref closedByProxy);
                            break;
                        }
                        Interlocked.Increment(ref echoed);
                    }
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref reset);
                }
                catch (OperationCanceledException)
                {
                    lock (failures)
                    {
                        failures.Add($"case {i}: the proxy kept the connection open for 10 s; input {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 300)))}");
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkerAsync(w))));
        clock.Stop();
        Assert.False(proxy.HasExited, $"the proxy exited (code {(proxy.HasExited ? proxy.ExitCode : 0)}) during the fuzz run");

        long endRssKb = ProcessProbe.RssKb(pid);
        int fdsAfter = await ProcessProbe.WaitForAsync(() => ProcessProbe.Sockets(pid), n => n <= fdsBefore, TimeSpan.FromSeconds(10));
        string summary = $"tcp-fuzz: {cases} connections ({probes} legitimate probes) in {clock.Elapsed.TotalSeconds:F1} s, seed {seed}; " +
            $"closed {closedByProxy}, reset {reset}, with echo data {echoed}; RSS warm {warmRssKb / 1024} MiB, half-way {midRssKb / 1024} MiB, end {endRssKb / 1024} MiB, max {maxRssKb / 1024} MiB; " +
            $"sockets {fdsBefore} -> {fdsAfter} ({fdKindsBefore} -> {ProcessProbe.DescribeFds(pid)}); failures {failures.Count}";
        HardeningSettings.Record(summary);
        net.Note(summary);

        Assert.True(failures.Count == 0, $"{failures.Count} failure(s), first: {string.Join("\n", failures.Take(10))}\n{summary}");
        Assert.True(fdsAfter <= fdsBefore, $"sockets did not return: {summary}");
        Assert.True(endRssKb - warmRssKb < RssToleranceKb, $"resident memory grew by more than {RssToleranceKb / 1024} MiB after warm-up: {summary}");
        await RelayProbe.AssertRelaysAsync(net, upstream, "after the fuzz run");
    });
}
