using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Lifecycle;

/// <summary>--config with several listeners in one process, and SIGHUP reloads, against the real binary.</summary>
public sealed class ConfigFileTests
{
    private const int Second = 7100;
    private const int RangeFirst = 7200;
    private const int RangeTargetFirst = 7301;
    private const int Third = 7400;

    private static string Tcp(string name, int port, int target, string extra = "") =>
        $$"""{"name": "{{name}}", "listen": "0.0.0.0:{{port}}", "ipv4": "127.0.0.1:{{target}}", "ipv6": "[::1]:{{target}}"{{extra}}}""";

    private static string Config(params string[] listeners) => "{\"listeners\": [\n" + string.Join(",\n", listeners) + "\n]}\n";

    [Fact]
    public Task Two_tcp_listeners_a_port_range_and_udp_in_one_process() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        Upstream[] rangeUpstreams = [.. Enumerable.Range(0, 3).Select(i => net.StartUpstream(Handlers.Echo, RangeTargetFirst + i))];
        await using UdpUpstream udpUpstream = UdpUpstream.Start(net.ServerNs, TestNetwork.UpstreamPort, UdpUpstreamMode.Echo);
        string config = net.WriteFile("mmproxy.json", Config(
            Tcp("first", TestNetwork.ProxyPort, TestNetwork.UpstreamPort),
            Tcp("second", Second, TestNetwork.UpstreamPort),
            $$"""{"name": "range", "listen": "0.0.0.0:{{RangeFirst}}-{{RangeFirst + 2}}", "ipv4": "127.0.0.1:{{RangeTargetFirst}}-{{RangeTargetFirst + 2}}", "ipv6": "[::1]:{{RangeTargetFirst}}-{{RangeTargetFirst + 2}}"}""",
            $$"""{"name": "dns", "protocol": "udp", "listen": "0.0.0.0:{{TestNetwork.ProxyPort}}", "ipv4": "127.0.0.1:{{TestNetwork.UpstreamPort}}", "ipv6": "[::1]:{{TestNetwork.UpstreamPort}}", "closeAfter": "30s"}"""));
        BackgroundProcess p = await ConfigProxy.StartAsync(net, config, [TestNetwork.ProxyPort, Second, RangeFirst, RangeFirst + 1, RangeFirst + 2]);
        await net.WaitUdpBoundAsync(net.ServerNs, TestNetwork.ProxyPort, p);

        foreach ((int port, AddressFamily family) in new[] { (TestNetwork.ProxyPort, AddressFamily.InterNetwork), (Second, AddressFamily.InterNetworkV6) })
        {
            (Socket s, _) = await LifecycleChecks.ConnectAsync(net, upstream, port, family);
            using (s)
            {
                await LifecycleChecks.EchoAsync(s, "hello " + port);
                await LifecycleChecks.FinishAsync(s);
            }
        }

        // Port i of the range reaches port i of the target range, and only it.
        for (int i = 0; i < 3; i++)
        {
            (Socket s, _) = await LifecycleChecks.ConnectAsync(net, rangeUpstreams[i], RangeFirst + i);
            using (s)
            {
                await LifecycleChecks.EchoAsync(s, "range " + i);
                await LifecycleChecks.FinishAsync(s);
            }
        }

        Assert.All(rangeUpstreams, u => Assert.Equal(1, u.AcceptedCount));

        // UDP on the same port number as the first TCP listener.
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.5"), 40001);
        using var session = new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), client);
        await session.SendAsync("datagram"u8.ToArray());
        UdpDatagramRecord seen = await udpUpstream.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(client, seen.Source);
        byte[]? reply = await session.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.Equal($"{client}|datagram", reply is null ? null : Encoding.ASCII.GetString(reply));
        Assert.False(p.HasExited, p.Output);
    });

    [Fact]
    public Task Sighup_changes_allowed_subnets_without_dropping_an_established_connection() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        // The client namespace's address is in 192.0.2.0/24.
        string subnets = net.WriteFile("allowed.txt", "192.0.2.0/24\n");
        string config = net.WriteFile("mmproxy.json", Config(Tcp("web", TestNetwork.ProxyPort, TestNetwork.UpstreamPort, ", \"allowedSubnets\": \"allowed.txt\"")));
        BackgroundProcess p = await ConfigProxy.StartAsync(net, config, [TestNetwork.ProxyPort]);

        (Socket established, _) = await LifecycleChecks.ConnectAsync(net, upstream, TestNetwork.ProxyPort);
        using (established)
        {
            await LifecycleChecks.EchoAsync(established, "before");
            File.WriteAllText(subnets, "198.51.100.0/24\n");
            await ConfigProxy.ReloadAsync(p, "Reloaded", 1);

            await LifecycleChecks.EchoAsync(established, "after the reload");
            await LifecycleChecks.AssertRefusedAsync(net, upstream, TestNetwork.ProxyPort);
            await LifecycleChecks.EchoAsync(established, "still relaying");
            await LifecycleChecks.FinishAsync(established);
        }

        // And back: allowed again after the next reload.
        File.WriteAllText(subnets, "192.0.2.0/24\n");
        await ConfigProxy.ReloadAsync(p, "Reloaded", 2);
        (Socket again, _) = await LifecycleChecks.ConnectAsync(net, upstream, TestNetwork.ProxyPort);
        using (again)
        {
            await LifecycleChecks.EchoAsync(again, "allowed again");
        }
    });

    [Fact]
    public Task Flags_mode_sighup_reloads_the_allowed_subnets_file() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        string subnets = net.WriteFile("allowed.txt", "192.0.2.0/24\n");
        BackgroundProcess p = await net.StartProxyAsync("0.0.0.0", "-allowed-subnets", subnets, "--quiet");

        (Socket established, _) = await LifecycleChecks.ConnectAsync(net, upstream, TestNetwork.ProxyPort);
        using (established)
        {
            await LifecycleChecks.EchoAsync(established, "before");
            File.WriteAllText(subnets, "198.51.100.0/24\n");
            await ConfigProxy.ReloadAsync(p, "reloaded the allowed subnets", 1);
            await LifecycleChecks.AssertRefusedAsync(net, upstream, TestNetwork.ProxyPort);
            await LifecycleChecks.EchoAsync(established, "still relaying");

            // A broken file keeps the list in force.
            File.WriteAllText(subnets, "not a subnet\n");
            await ConfigProxy.ReloadAsync(p, "Reload rejected", 1);
            await LifecycleChecks.AssertRefusedAsync(net, upstream, TestNetwork.ProxyPort);
            await LifecycleChecks.FinishAsync(established);
        }

        Assert.False(p.HasExited, p.Output);
    });

    [Fact]
    public Task Sighup_with_a_broken_file_keeps_the_old_configuration_running() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        string config = net.WriteFile("mmproxy.json", Config(Tcp("web", TestNetwork.ProxyPort, TestNetwork.UpstreamPort)));
        BackgroundProcess p = await ConfigProxy.StartAsync(net, config, [TestNetwork.ProxyPort]);
        (Socket established, _) = await LifecycleChecks.ConnectAsync(net, upstream, TestNetwork.ProxyPort);
        using (established)
        {
            string[] broken =
            [
                "{\"listeners\": [",                                                                   // not JSON
                Config(Tcp("web", TestNetwork.ProxyPort, TestNetwork.UpstreamPort), Tcp("x", Second, 0)),    // invalid field
                Config(Tcp("web", TestNetwork.ProxyPort, TestNetwork.UpstreamPort, ", \"allowedSubnets\": \"missing.txt\"")),
            ];
            for (int i = 0; i < broken.Length; i++)
            {
                File.WriteAllText(config, broken[i]);
                await ConfigProxy.ReloadAsync(p, "Reload rejected", i + 1);
                await LifecycleChecks.EchoAsync(established, "survived reload " + i);
            }

            Assert.Contains("field \"ipv4\"", p.Output, StringComparison.Ordinal);
            Assert.Contains("field \"allowedSubnets\"", p.Output, StringComparison.Ordinal);
            await LifecycleChecks.AssertNotListeningAsync(net, Second);
            (Socket fresh, _) = await LifecycleChecks.ConnectAsync(net, upstream, TestNetwork.ProxyPort);
            using (fresh)
            {
                await LifecycleChecks.EchoAsync(fresh, "new connections still served");
            }

            await LifecycleChecks.FinishAsync(established);
        }

        Assert.False(p.HasExited, p.Output);
    });

    [Fact]
    public Task Sighup_adding_a_listener_opens_it_and_removing_one_drains_it() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        string config = net.WriteFile("mmproxy.json", Config(
            Tcp("kept", TestNetwork.ProxyPort, TestNetwork.UpstreamPort),
            Tcp("removed", Second, TestNetwork.UpstreamPort)));
        BackgroundProcess p = await ConfigProxy.StartAsync(net, config, [TestNetwork.ProxyPort, Second]);
        (Socket onKept, _) = await LifecycleChecks.ConnectAsync(net, upstream, TestNetwork.ProxyPort);
        (Socket onRemoved, _) = await LifecycleChecks.ConnectAsync(net, upstream, Second);
        using (onKept)
        using (onRemoved)
        {
            await LifecycleChecks.EchoAsync(onRemoved, "before");
            File.WriteAllText(config, Config(
                Tcp("kept", TestNetwork.ProxyPort, TestNetwork.UpstreamPort),
                Tcp("added", Third, TestNetwork.UpstreamPort)));
            await ConfigProxy.ReloadAsync(p, "Reloaded", 1);
            Assert.Contains("1 ports kept, 1 opened, 1 closed", p.Output, StringComparison.Ordinal);

            // The added port serves; the removed one accepts nothing new...
            await net.WaitListeningAsync(net.ServerNs, Third, p);
            (Socket onAdded, _) = await LifecycleChecks.ConnectAsync(net, upstream, Third);
            using (onAdded)
            {
                await LifecycleChecks.EchoAsync(onAdded, "added");
                await LifecycleChecks.FinishAsync(onAdded);
            }

            await LifecycleChecks.AssertNotListeningAsync(net, Second);

            // ...while its established connection, and the kept port's, still complete.
            await LifecycleChecks.EchoAsync(onRemoved, "after removal");
            await LifecycleChecks.FinishAsync(onRemoved);
            await LifecycleChecks.EchoAsync(onKept, "kept");
            await LifecycleChecks.FinishAsync(onKept);
        }

        Assert.False(p.HasExited, p.Output);
    });

    [Fact]
    public Task Sighup_changes_the_allowed_subnets_of_a_udp_listener() => E2E.RunAsync(async net =>
    {
        await using UdpUpstream upstream = UdpUpstream.Start(net.ServerNs, TestNetwork.UpstreamPort, UdpUpstreamMode.Echo);
        string Udp(string subnet) => Config($$"""{"name": "dns", "protocol": "udp", "listen": "0.0.0.0:{{TestNetwork.ProxyPort}}", "ipv4": "127.0.0.1:{{TestNetwork.UpstreamPort}}", "allowedSubnets": ["{{subnet}}"]}""");
        string config = net.WriteFile("mmproxy.json", Udp("192.0.2.0/24"));
        BackgroundProcess p = await ConfigProxy.StartAsync(net, config, []);
        await net.WaitUdpBoundAsync(net.ServerNs, TestNetwork.ProxyPort, p);
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.5"), 40001);
        using var session = new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), client);

        await session.SendAsync("allowed"u8.ToArray());
        Assert.Equal("allowed", Encoding.ASCII.GetString((await upstream.NextAsync(TimeSpan.FromSeconds(10))).Payload));

        File.WriteAllText(config, Udp("198.51.100.0/24"));
        await ConfigProxy.ReloadAsync(p, "Reloaded", 1);
        await session.SendAsync("blocked"u8.ToArray());
        await ConfigProxy.WaitOutputAsync(p, "dropped: not in the allowed subnets", 1);

        File.WriteAllText(config, Udp("192.0.2.0/24"));
        await ConfigProxy.ReloadAsync(p, "Reloaded", 2);
        await session.SendAsync("allowed again"u8.ToArray());
        // The next datagram the upstream sees is the one sent after the second reload: "blocked" was dropped.
        Assert.Equal("allowed again", Encoding.ASCII.GetString((await upstream.NextAsync(TimeSpan.FromSeconds(10))).Payload));
    });

    [Fact]
    public Task Sighup_notifies_systemd_reloading_then_ready() => E2E.RunAsync(async net =>
    {
        string name = $"mmt-notify-{Environment.ProcessId}-{Guid.NewGuid():N}";
        using Socket notify = NetworkNamespace.CreateSocket(net.ServerNs, AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint("\0" + name));
        string config = net.WriteFile("mmproxy.json", Config(Tcp("web", TestNetwork.ProxyPort, TestNetwork.UpstreamPort)));
        BackgroundProcess p = await ConfigProxy.StartAsync(net, config, [TestNetwork.ProxyPort], ["/usr/bin/env", "NOTIFY_SOCKET=@" + name]);

        Assert.StartsWith("READY=1\n", await ReceiveAsync(notify), StringComparison.Ordinal);
        await ConfigProxy.HangUpAsync(p);
        Assert.StartsWith("RELOADING=1\nMONOTONIC_USEC=", await ReceiveAsync(notify), StringComparison.Ordinal);
        string ready = await ReceiveAsync(notify);
        Assert.StartsWith("READY=1\n", ready, StringComparison.Ordinal);
        Assert.Contains("STATUS=Listening on 1 ports", ready, StringComparison.Ordinal);

        File.WriteAllText(config, "broken");
        await ConfigProxy.HangUpAsync(p);
        Assert.StartsWith("RELOADING=1\n", await ReceiveAsync(notify), StringComparison.Ordinal);
        Assert.Contains("STATUS=Reload rejected", await ReceiveAsync(notify), StringComparison.Ordinal);
    });

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        byte[] buffer = new byte[4096];
        using var cts = new CancellationTokenSource(ConfigProxy.Deadline);
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}
