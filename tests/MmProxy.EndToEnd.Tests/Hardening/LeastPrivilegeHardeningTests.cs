using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Hardening;

/// <summary>
/// Least privilege: as user nobody with only CAP_NET_ADMIN (setpriv from util-linux, which execs
/// the proxy: same PID) the proxy spoofs client addresses; without the capability it refuses to
/// start, exits non-zero and names CAP_NET_ADMIN.
/// </summary>
public sealed class LeastPrivilegeHardeningTests
{
    private const ulong CapNetAdmin = 1UL << 12;

    private static string StatusLine(int pid, string name) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(name, StringComparison.Ordinal));

    [Fact]
    public Task As_nobody_with_only_CAP_NET_ADMIN_the_proxy_spoofs_client_addresses() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net, ProxyLauncher.Arguments("-v", "2"),
            wrapper: ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=+net_admin", "--ambient-caps=+net_admin"]);
        int pid = proxy.Id;
        Assert.Matches(@"^Uid:\s+65534\s+65534\s+65534\s+65534$", StatusLine(pid, "Uid:"));
        ulong effective = Convert.ToUInt64(StatusLine(pid, "CapEff:")["CapEff:".Length..].Trim(), 16);
        Assert.True(effective == CapNetAdmin, $"effective capabilities {effective:x16}, expected exactly CAP_NET_ADMIN ({CapNetAdmin:x16})");

        // v1 from the client namespace claiming its own address: the upstream must see exactly it.
        using Socket s = await net.ConnectThroughProxyAsync(localPort: 41234);
        await Streams.SendAllAsync(s, "unprivileged"u8.ToArray());
        byte[] echoed = await Streams.ReceiveExactlyAsync(s, 12);
        UpstreamConnection seen = await upstream.NextAsync();
        Assert.Equal(new IPEndPoint(net.ClientV4, 41234), seen.Remote);
        Assert.Equal("unprivileged", Encoding.ASCII.GetString(echoed));
        // And an IPv6 client, through the IPv6 target.
        using Socket s6 = await net.ConnectThroughProxyAsync(AddressFamily.InterNetworkV6, localPort: 41235);
        await Streams.SendAllAsync(s6, "v6"u8.ToArray());
        _ = await Streams.ReceiveExactlyAsync(s6, 2);
        UpstreamConnection seen6 = await upstream.NextAsync();
        Assert.Equal(new IPEndPoint(net.ClientV6, 41235), seen6.Remote);
        Assert.False(proxy.HasExited);
        HardeningSettings.Record($"least-privilege: uid 65534, CapEff {effective:x16}: spoofed {seen.Remote} and {seen6.Remote}");
    });

    /// <summary>
    /// mmproxy-rs gives each connection two 1 MiB pipes and hits the per-user pipe quota
    /// (fs.pipe-user-pages-soft) at about 32 connections when not root. Our splice relay as nobody
    /// must carry many concurrent connections intact while all of them hold data in the proxy (clients
    /// with small windows that start reading late): with splice, one pipe per stalled direction,
    /// 1,200 pipes x 16 pages is past the default soft quota of 16,384 pages, where new pipes are
    /// created smaller; data must not break.
    /// </summary>
    [Theory]
    [InlineData("nobody", "splice")]
    public Task Many_concurrent_connections_relay_intact_within_the_pipe_quota(string user, string relay) => E2E.RunAsync(async net =>
    {
        const int Count = 1_200;
        const int Size = 256 * 1024;
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        string[] wrapper = user == "root"
            ? []
            : ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=+net_admin", "--ambient-caps=+net_admin"];
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net, ProxyLauncher.Arguments(["-v", "1", .. ProxyLauncher.Relay(relay)]), wrapper: wrapper);
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using var supply = new SocketSupply(net.ClientNs, AddressFamily.InterNetwork, batch: 600);
        Socket[] sockets = [.. Enumerable.Range(0, Count).Select(_ => supply.Take())];
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            foreach (Socket s in sockets)
            {
                // Small client windows: echoed data backs up into the proxy (its pipes, with splice).
                s.ReceiveBufferSize = 4096;
            }
            await Task.WhenAll(sockets.Select(s => s.ConnectAsync(proxyEndPoint, cts.Token).AsTask()));
            byte[][] payloads = new byte[Count][];
            Task[] sends = [.. sockets.Select((s, i) =>
            {
                var claimed = new IPEndPoint(new IPAddress([198, 51, 100, (byte)(1 + (i % 254))]), 20_000 + i);
                byte[] header = MmProxy.ProxyProtocol.ProxyHeaderWriter.WriteV2(MmProxy.ProxyProtocol.ProxyCommand.Proxy, MmProxy.ProxyProtocol.ProxyFamily.Tcp4,
                    MmProxy.ProxyProtocol.ProxyAddress.FromIPEndPoint(claimed), MmProxy.ProxyProtocol.ProxyAddress.FromIPEndPoint(proxyEndPoint));
                // Offsets below 512 KiB: the slice never reaches the end of the pattern period (it would come back shorter).
                payloads[i] = CyclicPattern.Slice(i * 409L % (512 * 1024), Size).ToArray();
                byte[] message = [.. header, .. payloads[i]];
                return Streams.SendAllAsync(s, message, cts.Token);
            })];
            // Nobody reads for a while: every connection holds data inside the proxy at once.
            int peakPipes = await ProcessProbe.WaitForAsync(() => ProcessProbe.Pipes(proxy.Id), n => n >= 2 * Count, TimeSpan.FromSeconds(3));
            string?[] problems = await Task.WhenAll(sockets.Select(async (s, i) =>
            {
                byte[] echoed = await Streams.ReceiveExactlyAsync(s, Size, cts.Token);
                return echoed.AsSpan().SequenceEqual(payloads[i]) ? null : $"connection {i}: echo differs";
            }));
            await Task.WhenAll(sends);
            string[] failed = [.. problems.Where(p => p is not null).Select(p => p!)];
            string summary = $"least-privilege concurrency ({user}, {relay}): {Count} concurrent connections x {Size / 1024} KiB echoed, clients stalled first; " +
                $"{peakPipes} pipe ends open in the proxy during the stall (soft quota {File.ReadAllText("/proc/sys/fs/pipe-user-pages-soft").Trim()} pages); broken {failed.Length}";
            HardeningSettings.Record(summary);
            net.Note(summary);
            Assert.True(failed.Length == 0, $"{failed.Length} of {Count} connections broken: {string.Join("; ", failed.Take(5))}\n{summary}");
            Assert.Equal(Count, upstream.AcceptedCount);
            Assert.False(proxy.HasExited);
        }
        finally
        {
            foreach (Socket s in sockets)
            {
                s.Dispose();
            }
        }
    });

    [Fact]
    public Task Without_CAP_NET_ADMIN_the_proxy_refuses_to_start_and_names_the_capability() => E2E.RunAsync(async net =>
    {
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net, ProxyLauncher.Arguments("-v", "2"),
            wrapper: ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all"],
            waitListening: false);
        try
        {
            await proxy.Exited.WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            Assert.Fail("without CAP_NET_ADMIN the proxy is still running after 15 s; it must refuse to start");
        }
        Assert.NotEqual(0, proxy.ExitCode);
        Assert.Contains("CAP_NET_ADMIN", proxy.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", proxy.Output, StringComparison.Ordinal);
        Assert.Equal(0, await net.CountListenersAsync(net.ServerNs, TestNetwork.ProxyPort));
    });
}
