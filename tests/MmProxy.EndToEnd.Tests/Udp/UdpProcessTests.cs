using System.Net;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>Process-level UDP behaviour: clean stop on SIGTERM, port-in-use fallback, startup errors.</summary>
public sealed class UdpProcessTests
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public Task Sigterm_closes_flows_and_exits_zero() => UdpE2E.RunAsync(async (net, udp) =>
    {
        udp.StartUpstream();
        BackgroundProcess proxy = await net.StartUdpProxyAsync();
        using var session = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), new IPEndPoint(IPAddress.Parse("203.0.113.1"), 8001)));
        await session.SendAsync("x"u8.ToArray());
        Assert.NotNull(await session.ReceiveAsync(ReplyTimeout));
        Assert.Equal(1, await net.CountUdpFlowSocketsAsync());

        CommandResult kill = await Command.RunAsync("kill", ["-TERM", proxy.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(0, kill.ExitCode);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await proxy.Exited.WaitAsync(cts.Token);
        Assert.Equal(0, proxy.ExitCode);
        Assert.Contains("UDP stopped: 1 datagram(s) received, 1 forwarded, 1 replies, 0 dropped, 1 flow(s) created", proxy.Output, StringComparison.Ordinal);
        Assert.Equal(0, await net.CountUdpFlowSocketsAsync());
    });

    [Fact]
    public Task Same_client_through_two_balancer_sockets_falls_back_to_another_port() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        BackgroundProcess proxy = await net.StartUdpProxyAsync();
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.2"), 8002);
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using var first = udp.Own(new UdpClientSession(net, proxyEndPoint, client));
        using var second = udp.Own(new UdpClientSession(net, proxyEndPoint, client));

        await first.SendAsync("first"u8.ToArray());
        byte[]? a = await first.ReceiveAsync(ReplyTimeout);
        await second.SendAsync("second"u8.ToArray());
        byte[]? b = await second.ReceiveAsync(ReplyTimeout);
        Assert.Equal($"{client}|first", Encoding.ASCII.GetString(a!));
        Assert.NotNull(b);
        string secondSource = Encoding.ASCII.GetString(b).Split('|')[0];
        Assert.StartsWith(client.Address + ":", secondSource, StringComparison.Ordinal);
        Assert.NotEqual(client.ToString(), secondSource);
        Assert.EndsWith("|second", Encoding.ASCII.GetString(b), StringComparison.Ordinal);
        await ProcessLog.WaitForAsync(proxy, "is in use locally");
        Assert.Equal(2, upstream.Sources.Length);
    });

    [Fact]
    public Task Port_taken_by_another_process_fails_startup_with_the_reason() => UdpE2E.RunAsync(async (net, udp) =>
    {
        using var squatter = udp.Own(TestNetwork.CreateUdpSocket(net.ServerNs, new IPEndPoint(IPAddress.Any, TestNetwork.ProxyPort)));
        BackgroundProcess proxy = net.Start("mmproxy", net.ServerNs, ProxyBinary.Path,
            ["-p", "udp", "-l", "0.0.0.0:" + TestNetwork.ProxyPort, "-4", "127.0.0.1:" + TestNetwork.UpstreamPort]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await proxy.Exited.WaitAsync(cts.Token);
        Assert.Equal(1, proxy.ExitCode);
        Assert.Contains("already in use", proxy.Output, StringComparison.Ordinal);
    });

    [Fact]
    public Task Running_out_of_file_descriptors_drops_new_flows_and_recovers() => UdpE2E.RunAsync(async (net, udp) =>
    {
        udp.StartUpstream();
        // About 100 descriptors go to the runtime itself: room for a few dozen flows, not 150.
        BackgroundProcess proxy = net.Start("mmproxy", net.ServerNs, "prlimit",
            ["--nofile=200:200", ProxyBinary.Path, "-p", "udp", "-l", "0.0.0.0:" + TestNetwork.ProxyPort,
             "-4", "127.0.0.1:" + TestNetwork.UpstreamPort, "-close-after", "2", "-v", "1"]);
        await net.WaitUdpBoundAsync(net.ServerNs, TestNetwork.ProxyPort, proxy);
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using var first = udp.Own(new UdpClientSession(net, proxyEndPoint, new IPEndPoint(IPAddress.Parse("203.0.113.1"), 9000)));
        await first.SendAsync("first"u8.ToArray());
        Assert.NotNull(await first.ReceiveAsync(ReplyTimeout));

        var crowd = Enumerable.Range(1, 150)
            .Select(i => udp.Own(new UdpClientSession(net, proxyEndPoint, new IPEndPoint(IPAddress.Parse($"198.51.100.{i}"), 9000 + i))))
            .ToArray();
        foreach (UdpClientSession s in crowd)
        {
            await s.SendAsync("crowd"u8.ToArray());
        }
        await ProcessLog.WaitForAsync(proxy, "raise the open file limit");

        // The process lives, the established flow still works, and room comes back after expiry.
        await first.SendAsync("still"u8.ToArray());
        byte[]? reply = await first.ReceiveAsync(ReplyTimeout);
        Assert.NotNull(reply);
        Assert.EndsWith("|still", Encoding.ASCII.GetString(reply), StringComparison.Ordinal);
        await Eventually.UntilAsync(async () => await net.CountUdpFlowSocketsAsync() <= 1, () => "the crowd's flows expire", TimeSpan.FromSeconds(10));
        using var late = udp.Own(new UdpClientSession(net, proxyEndPoint, new IPEndPoint(IPAddress.Parse("203.0.113.9"), 9009)));
        await late.SendAsync("late"u8.ToArray());
        Assert.NotNull(await late.ReceiveAsync(ReplyTimeout));
        Assert.False(proxy.HasExited);
    });

    [Fact]
    public Task Flow_sockets_carry_the_mark_and_the_client_address() => UdpE2E.RunAsync(async (net, udp) =>
    {
        udp.StartUpstream();
        await net.StartUdpProxyAsync("-mark", "0x123");
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.3"), 8003);
        using var session = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), client));
        await session.SendAsync("marked"u8.ToArray());
        Assert.NotNull(await session.ReceiveAsync(ReplyTimeout));
        CommandResult ss = await Command.CheckAsync("ip", "netns", "exec", net.ServerNs, "ss", "-Hune", "dport", "=", ":" + TestNetwork.UpstreamPort);
        string line = Assert.Single(ss.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(client + " 127.0.0.1:" + TestNetwork.UpstreamPort, line, StringComparison.Ordinal);
        Assert.Contains("fwmark:0x123", line, StringComparison.Ordinal);
    });
}
