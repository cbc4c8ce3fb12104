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
