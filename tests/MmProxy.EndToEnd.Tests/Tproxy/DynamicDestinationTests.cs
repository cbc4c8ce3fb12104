using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Lifecycle;
using MmProxy.EndToEnd.Tests.Operations;

namespace MmProxy.EndToEnd.Tests.Tproxy;

/// <summary>
/// --dynamic-destination: the header's destination, where --allowed-destinations allows it and never
/// the proxy itself; refusals reset, count and log; no list, no start; SIGHUP re-reads the list.
/// </summary>
public sealed class DynamicDestinationTests
{
    private const int ListenPort = 9100;
    private const int MetricsPort = 9190;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly IPAddress Loopback2 = IPAddress.Parse("127.0.0.2");

    [Fact]
    public Task Only_listed_destinations_are_served_and_a_reload_widens_the_list() => E2E.RunAsync(async net =>
    {
        Upstream[] services = [.. Enumerable.Range(8000, 3).Select(port => net.StartUpstream(Handlers.Echo, port))];
        await using SilentService otherAddress = SilentService.Start(net.ServerNs, new IPEndPoint(Loopback2, 8001));
        var listen = new IPEndPoint(net.ServerV4, ListenPort);
        // The listener's own address is listed, so only the self-rule can refuse it.
        string list = net.WriteFile("destinations.txt", $"127.0.0.1/32 8000-8001\n{net.ServerV4}/32\n");
        BackgroundProcess proxy = await net.StartProxyAsync(
            ["-l", TestNetwork.Endpoint(listen.Address, ListenPort), "--dynamic-destination", "--allowed-destinations", list,
             "--metrics", "127.0.0.1:" + MetricsPort, "-v", "1"], ListenPort);
        await net.WaitListeningAsync(net.ServerNs, MetricsPort, proxy);

        // Allowed: to the service the header names, from the client it names, every byte back.
        var first = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 48000);
        Socket established = await Connect(net, listen, first, new IPEndPoint(IPAddress.Loopback, 8001));
        using (established)
        {
            UpstreamConnection seen = await services[1].NextAsync();
            Assert.Equal(first, seen.Remote);
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8001), seen.Local);
            await TproxyChecks.EchoAsync(established, 50_000, 1);

            // Refused, each for its own reason, with the service (where there is one) listening.
            (IPEndPoint Destination, string Reason)[] refused =
            [
                (new IPEndPoint(IPAddress.Loopback, 8002), "is not in --allowed-destinations"),
                (new IPEndPoint(Loopback2, 8001), "is not in --allowed-destinations"),
                (listen, "is the proxy's own listening address"),
            ];
            for (int i = 0; i < refused.Length; i++)
            {
                (IPEndPoint destination, string reason) = refused[i];
                using Socket s = await Connect(net, listen, new IPEndPoint(IPAddress.Parse("198.51.100.50"), 48010 + i), destination);
                await TproxyChecks.AssertResetAsync(s);
                await WaitLogAsync(proxy, $"closed: the destination {TestNetwork.Endpoint(destination.Address, destination.Port)} {reason}");
            }

            await services[2].AssertNothingAcceptedAsync(TimeSpan.FromSeconds(1));
            await otherAddress.AssertNothingAcceptedAsync(TimeSpan.FromSeconds(1));
            Assert.Equal(1, services[1].AcceptedCount);
            Assert.Equal(0, services[0].AcceptedCount);

            string metrics = string.Empty;
            var metricsEndPoint = new IPEndPoint(IPAddress.Loopback, MetricsPort);
            await Eventually.UntilAsync(
                async () => MetricsScraper.Sample(metrics = (await MetricsScraper.GetAsync(net.ServerNs, metricsEndPoint, "/metrics")).Body,
                    "mmproxy_connections_rejected_total{reason=\"destination_not_allowed\"}") >= refused.Length,
                () => "refusals not counted:\n" + metrics);
            net.Note("--- /metrics\n" + metrics);
            Assert.Equal(refused.Length, MetricsScraper.Sample(metrics, "mmproxy_connections_rejected_total{reason=\"destination_not_allowed\"}"));

            // Wider list, SIGHUP: the listener reopens with it, the established connection keeps running.
            File.WriteAllText(list, $"127.0.0.1/32 8000-8002\n{net.ServerV4}/32\n");
            // Flags mode logs its one SIGHUP line after the reload is applied (the listener reopened).
            await ConfigProxy.ReloadAsync(proxy, "SIGHUP received", 1);
            var later = new IPEndPoint(IPAddress.Parse("203.0.113.8"), 48020);
            using (Socket s = await Connect(net, listen, later, new IPEndPoint(IPAddress.Loopback, 8002)))
            {
                UpstreamConnection nowServed = await services[2].NextAsync();
                await TproxyChecks.EchoAndFinishAsync(s, 70_001, 2);
                await TproxyChecks.AssertServedAsync(nowServed, later, new IPEndPoint(IPAddress.Loopback, 8002), 70_001);
            }

            await TproxyChecks.EchoAndFinishAsync(established, 1_000, 5);
            await TproxyChecks.AssertServedAsync(seen, first, new IPEndPoint(IPAddress.Loopback, 8001), 51_000);
        }

        Assert.False(proxy.HasExited, proxy.Output);
    });

    [Fact]
    public Task Without_a_list_the_flags_refuse_to_start_with_a_usage_error() => E2E.RunAsync(async net =>
    {
        CommandResult r = await Command.RunAsync("ip",
            ["netns", "exec", net.ServerNs, ProxyBinary.Path, "-l", TestNetwork.Endpoint(net.ServerV4, ListenPort), "--dynamic-destination"], Deadline);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--allowed-destinations", r.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, await net.CountListenersAsync(net.ServerNs, ListenPort));
    });

    [Fact]
    public Task Without_a_list_a_config_file_refuses_to_start_naming_the_field() => E2E.RunAsync(async net =>
    {
        string config = net.WriteFile("mmproxy.json", $$"""
            {"listeners": [
              {"name": "dynamic", "listen": "{{TestNetwork.Endpoint(net.ServerV4, ListenPort)}}", "dynamicDestination": true}
            ]}

            """);
        CommandResult r = await Command.RunAsync("ip", ["netns", "exec", net.ServerNs, ProxyBinary.Path, "--config", config], Deadline);
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains("allowedDestinations", r.StdOut + r.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, await net.CountListenersAsync(net.ServerNs, ListenPort));
    });

    private static Task<Socket> Connect(TestNetwork net, IPEndPoint listen, IPEndPoint client, IPEndPoint destination) =>
        TproxyChecks.ConnectWithHeaderAsync(net, listen, TproxyChecks.Header(client.Port % 2 == 0 ? 1 : 2, client, destination));

    private static async Task WaitLogAsync(BackgroundProcess proxy, string text)
    {
        if (!await proxy.WaitForOutputAsync(o => o.Contains(text, StringComparison.Ordinal), Deadline))
        {
            Assert.Fail($"mmproxy did not log \"{text}\" within {Deadline.TotalSeconds} s");
        }
    }
}
