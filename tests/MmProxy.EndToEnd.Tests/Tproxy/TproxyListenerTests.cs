using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Lifecycle;

namespace MmProxy.EndToEnd.Tests.Tproxy;

/// <summary>
/// --transparent listeners fed by the nft tproxy rules `mmproxy routing apply --tproxy` installs: many
/// service ports of one address through one listener, each connection going to the port the client
/// connected to, from the client the header names.
/// </summary>
public sealed class TproxyListenerTests
{
    private const int ListenPort = 9000;
    private const int FirstPort = 8000;
    private const string ListenText = "9000";

    private static readonly string[] V4Clients = ["203.0.113.7", "198.51.100.23", "203.0.113.99"];
    private static readonly string[] V6Clients = ["2001:db8:ffff::7", "2001:db8:ffff::23"];

    [Fact]
    public Task Several_ipv4_ports_reach_their_own_service_through_one_listener_until_the_rules_are_removed() =>
        E2E.RunAsync(net => SeveralPortsAsync(net, AddressFamily.InterNetwork, V4Clients, "0.0.0.0:" + ListenPort));

    [Fact]
    public Task Several_ipv6_ports_reach_their_own_service_through_one_listener_until_the_rules_are_removed() =>
        E2E.RunAsync(net => SeveralPortsAsync(net, AddressFamily.InterNetworkV6, V6Clients, "[::]:" + ListenPort));

    private static async Task SeveralPortsAsync(TestNetwork net, AddressFamily family, string[] clients, string listen)
    {
        await TproxyChecks.RequireNftAsync();
        int last = FirstPort + clients.Length - 1;
        string ports = $"{FirstPort}-{last}";
        Upstream[] services = [.. Enumerable.Range(FirstPort, clients.Length).Select(port => net.StartUpstream(Handlers.Echo, port))];
        IPAddress serviceAddress = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;

        // Nothing listens on the server's own address at these ports: only the rules can carry a connection.
        await TproxyChecks.AssertUnreachableAsync(net, new IPEndPoint(net.Server(family), FirstPort));

        await TproxyChecks.RunInServerAsync(net, "routing", "apply", "--tproxy", ports, "--to", ListenText, "-p", "tcp");
        string? table = await TproxyChecks.NftTableAsync(net);
        Assert.True(table is not null && table.Contains($"to :{ListenPort}", StringComparison.Ordinal), "no tproxy rule after routing apply:\n" + table);
        string fwmark = family == AddressFamily.InterNetworkV6 ? "-6" : "-4";
        Assert.Contains("fwmark 0x1", await TproxyChecks.RulesAsync(net, fwmark), StringComparison.Ordinal);

        BackgroundProcess proxy = await net.StartProxyAsync(["-l", listen, "--transparent", "-4", "127.0.0.1", "-6", "::1", "-v", "2"], ListenPort);

        // All open at once, so the one listener holds several ports' connections together.
        var sockets = new List<Socket>();
        var claimed = new List<IPEndPoint>();
        try
        {
            for (int i = 0; i < clients.Length; i++)
            {
                var reached = new IPEndPoint(net.Server(family), FirstPort + i);
                var client = new IPEndPoint(IPAddress.Parse(clients[i]), 48000 + i);
                // The last one names the load balancer's own frontend port: the connection's port decides, not the header's.
                var destination = i == clients.Length - 1 ? new IPEndPoint(reached.Address, 443) : reached;
                claimed.Add(client);
                sockets.Add(await TproxyChecks.ConnectWithHeaderAsync(net, reached, TproxyChecks.Header(1 + (i % 2), client, destination)));
            }

            for (int i = 0; i < clients.Length; i++)
            {
                UpstreamConnection seen = await services[i].NextAsync();
                Assert.Equal(claimed[i], seen.Remote);
                await TproxyChecks.EchoAndFinishAsync(sockets[i], 100_000 + i, i);
                await TproxyChecks.AssertServedAsync(seen, claimed[i], new IPEndPoint(serviceAddress, FirstPort + i), 100_000 + i);
            }
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        Assert.All(services, s => Assert.Equal(1, s.AcceptedCount));

        // Straight to the listening port, not steered: there is no original port to go to, and the
        // proxy must not connect to itself.
        using (Socket direct = await TproxyChecks.ConnectWithHeaderAsync(net, new IPEndPoint(net.Server(family), ListenPort),
            TproxyChecks.Header(1, new IPEndPoint(IPAddress.Parse(clients[0]), 48100), new IPEndPoint(net.Server(family), ListenPort))))
        {
            await TproxyChecks.AssertResetAsync(direct);
        }

        await TproxyChecks.RunInServerAsync(net, "routing", "remove", "--tproxy", ports, "--to", ListenText, "-p", "tcp");
        Assert.Null(await TproxyChecks.NftTableAsync(net));
        Assert.DoesNotContain("fwmark 0x1", await TproxyChecks.RulesAsync(net, fwmark), StringComparison.Ordinal);
        await TproxyChecks.AssertUnreachableAsync(net, new IPEndPoint(net.Server(family), FirstPort + 1));
        await services[1].AssertNothingAcceptedAsync(TimeSpan.FromSeconds(1));
        Assert.All(services, s => Assert.Equal(1, s.AcceptedCount));
        Assert.False(proxy.HasExited, proxy.Output);
    }

    [Fact]
    public Task A_config_file_transparent_listener_works_like_the_flags() => E2E.RunAsync(async net =>
    {
        await TproxyChecks.RequireNftAsync();
        Upstream service = net.StartUpstream(Handlers.Echo, FirstPort);
        await TproxyChecks.RunInServerAsync(net, "routing", "apply", "--tproxy", FirstPort.ToString(CultureInfo.InvariantCulture), "--to", ListenText);
        string config = net.WriteFile("mmproxy.json", $$"""
            {"listeners": [
              {"name": "tproxy", "listen": "0.0.0.0:{{ListenPort}}", "transparent": true, "ipv4": "127.0.0.1"}
            ]}

            """);
        BackgroundProcess proxy = await ConfigProxy.StartAsync(net, config, [ListenPort]);

        var reached = new IPEndPoint(net.ServerV4, FirstPort);
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.45"), 47045);
        using (Socket s = await TproxyChecks.ConnectWithHeaderAsync(net, reached, TproxyChecks.Header(2, client, reached)))
        {
            UpstreamConnection seen = await service.NextAsync();
            await TproxyChecks.EchoAndFinishAsync(s, 65_537, 3);
            await TproxyChecks.AssertServedAsync(seen, client, new IPEndPoint(IPAddress.Loopback, FirstPort), 65_537);
        }

        Assert.Equal(1, service.AcceptedCount);
        Assert.False(proxy.HasExited, proxy.Output);
    });
}
