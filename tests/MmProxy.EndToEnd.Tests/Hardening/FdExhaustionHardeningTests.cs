using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Hardening;

/// <summary>
/// File-descriptor exhaustion: the proxy runs under a low RLIMIT_NOFILE (prlimit execs it, same
/// PID) and is pushed past it with idle and legitimate connections. It must log the accept failure
/// (rate-limited: at most one line a second), keep its listener, fail the connections it cannot
/// serve cleanly (no "unexpected error"), and serve again once connections close. The older
/// implementations exit (with status 0) when accept fails with EMFILE. Found here: our proxy
/// aborted ("Out of memory.", exit 134) because the runtime cannot start a thread without a free
/// descriptor; fixed by pausing accept at a descriptor budget (TcpListenerGroup).
/// </summary>
public sealed partial class FdExhaustionHardeningTests
{
    // The idle runtime holds about 90 descriptors (assemblies are mapped through open files).
    private const int NoFile = 256;
    private const int Idle = 240;
    private const int Legitimate = 60;

    // Either accept() failing with EMFILE, or (since the fix) the budget warning before it happens.
    [GeneratedRegex(@"accept\(\) on \S+ failed: EMFILE|the open file limit \(\d+\) allows no more")]
    private static partial Regex AcceptFailedLine();

    [Fact]
    public Task Past_the_open_file_limit_the_proxy_logs_keeps_listening_and_recovers() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net,
            ProxyLauncher.Arguments("-v", "1", "--header-timeout", "60s"),
            wrapper: ["prlimit", $"--nofile={NoFile}:{NoFile}"]);
        int pid = proxy.Id;
        Assert.Contains($"Max open files            {NoFile}", File.ReadAllText($"/proc/{pid}/limits"), StringComparison.Ordinal);
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using var supply = new SocketSupply(net.ClientNs, AddressFamily.InterNetwork);
        var held = new List<Socket>();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            // Idle connections (no header yet) use one descriptor each in the proxy...
            for (int i = 0; i < Idle; i++)
            {
                Socket s = supply.Take();
                await s.ConnectAsync(proxyEndPoint, cts.Token);
                held.Add(s);
            }
            // ...legitimate ones two: those accepted near the limit cannot open their upstream socket.
            Task<string?>[] legit = [.. Enumerable.Range(0, Legitimate).Select(_ => RelayProbe.TryAsync(net, upstream, supply.Take(), TimeSpan.FromSeconds(4)))];
            var pressure = Stopwatch.StartNew();
            string output = await ProcessProbe.WaitForAsync(() => proxy.Output, o => AcceptFailedLine().IsMatch(o), TimeSpan.FromSeconds(10));
            Assert.True(AcceptFailedLine().IsMatch(output), $"no rate-limited descriptor warning (accept EMFILE or budget reached) in the proxy's log within 10 s of exceeding {NoFile} descriptors");
            string?[] legitResults = await Task.WhenAll(legit);
            pressure.Stop();

            Assert.False(proxy.HasExited, $"the proxy exited (code {(proxy.HasExited ? proxy.ExitCode : 0)}) at the descriptor limit");
            Assert.Equal(1, await net.CountListenersAsync(net.ServerNs, TestNetwork.ProxyPort));
            int acceptLines = AcceptFailedLine().Matches(proxy.Output).Count;
            // One line a second at most (the first at once), under pressure for this long:
            int allowed = (int)Math.Ceiling(pressure.Elapsed.TotalSeconds) + 1;
            Assert.True(acceptLines <= allowed, $"{acceptLines} descriptor warning lines in {pressure.Elapsed.TotalSeconds:F1} s: not rate-limited");

            foreach (Socket s in held)
            {
                s.Dispose();
            }
            held.Clear();

            // Everything queued or refused under pressure is gone; the proxy must serve at once again.
            var recovery = Stopwatch.StartNew();
            for (int i = 0; i < 20; i++)
            {
                await RelayProbe.AssertRelaysAsync(net, upstream, $"connection {i} after the idle connections closed");
            }
            recovery.Stop();
            int served = legitResults.Count(r => r is null);
            string summary = $"fd-exhaustion: nofile {NoFile}, {Idle} idle + {Legitimate} legitimate connections: {served} legitimate served under pressure, " +
                $"{acceptLines} descriptor warning line(s) in {pressure.Elapsed.TotalSeconds:F1} s, recovered (20 probes) in {recovery.Elapsed.TotalSeconds:F1} s";
            HardeningSettings.Record(summary);
            net.Note(summary);

            string final = proxy.Output;
            Assert.DoesNotContain("Unexpected error", final, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", final, StringComparison.Ordinal);
        }
        finally
        {
            foreach (Socket s in held)
            {
                s.Dispose();
            }
        }
    });
}
