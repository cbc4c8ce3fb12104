using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Operations;

/// <summary>--metrics: the real binary's /metrics counters match the traffic the test sent.</summary>
public sealed class MetricsTests
{
    private const int MetricsPort = 9100;

    [Fact]
    public Task Metrics_count_exactly_the_traffic_sent() => E2E.RunAsync(async net =>
    {
        const int Relayed = 3;
        const int Payload = 100_000;
        // Allowed: the client namespace's address and loopback; the server's own veth address is not.
        string subnets = net.WriteFile("allowed.txt", $"{net.ClientV4}/32\n127.0.0.0/8\n");
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        var metricsEndPoint = new IPEndPoint(IPAddress.Loopback, MetricsPort);
        BackgroundProcess proxyProcess = await net.StartProxyAsync("0.0.0.0", "-allowed-subnets", subnets, "-6", "[::1]:7999", "--metrics", "127.0.0.1:" + MetricsPort, "--quiet");
        // The metrics endpoint opens right after the proxy's listener: wait for it too.
        await net.WaitListeningAsync(net.ServerNs, MetricsPort, proxyProcess);

        // /healthz turns 200 once the listeners are serving (503 before): wait for it.
        int status = 0;
        string health = string.Empty;
        await Eventually.UntilAsync(
            async () =>
            {
                (status, health) = await MetricsScraper.GetAsync(net.ServerNs, metricsEndPoint, "/healthz");
                Assert.True(status is 200 or 503, $"/healthz: {status} {health}");
                return status == 200;
            },
            () => "/healthz still 503: " + health);

        // 1. Three relayed connections, each echoing Payload bytes.
        for (int i = 0; i < Relayed; i++)
        {
            using Socket s = await net.ConnectThroughProxyAsync();
            await Streams.SendPatternAsync(s, Payload);
            s.Shutdown(SocketShutdown.Send);
            ReceiveResult echoed = await Streams.ReceiveAsync(s);
            Assert.Equal(Payload, echoed.Bytes);
        }

        var proxy = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        // 2. A peer outside the allowed subnets (the server's own address).
        // The proxy resets it at once: the reset may even beat the connect's completion here.
        try
        {
            using Socket refused = await net.ConnectAsync(net.ServerNs, proxy, new IPEndPoint(net.ServerV4, 0));
            await Streams.ReceiveAsync(refused);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Refused as expected.
        }

        // 3. An invalid header (port out of range).
        using (Socket invalid = await net.ConnectFromClientAsync(proxy))
        {
            await Streams.SendAllAsync(invalid, "PROXY TCP4 198.51.100.1 198.51.100.2 99999 80\r\n"u8.ToArray());
            await Streams.ReceiveAsync(invalid);
        }

        // 4. An IPv6 client: -6 points at a port nothing listens on, so the upstream refuses.
        using (Socket s = await net.ConnectThroughProxyAsync(AddressFamily.InterNetworkV6))
        {
            await Streams.ReceiveAsync(s);
        }

        // Connections are counted as closed a moment after the client sees the end: wait for it.
        string metrics = string.Empty;
        await Eventually.UntilAsync(
            async () =>
            {
                (status, metrics) = await MetricsScraper.GetAsync(net.ServerNs, metricsEndPoint, "/metrics");
                Assert.Equal(200, status);
                return MetricsScraper.Sample(metrics, "mmproxy_connections_active") == 0
                    && MetricsScraper.Sample(metrics, "mmproxy_connections_closed_total{outcome=\"completed\"}") == Relayed;
            },
            () => "connections still open:\n" + metrics);

        net.Note("--- /metrics\n" + metrics);
        Assert.Equal(Relayed + 3, MetricsScraper.Sample(metrics, "mmproxy_connections_accepted_total"));
        Assert.Equal(1, MetricsScraper.Sample(metrics, "mmproxy_connections_rejected_total{reason=\"subnet\"}"));
        Assert.Equal(1, MetricsScraper.Sample(metrics, "mmproxy_connections_rejected_total{reason=\"header_invalid\"}"));
        Assert.Equal(1, MetricsScraper.Sample(metrics, "mmproxy_connections_rejected_total{reason=\"upstream_refused\"}"));
        Assert.Equal(0, MetricsScraper.Sample(metrics, "mmproxy_connections_rejected_total{reason=\"upstream_timeout\"}"));
        Assert.Equal(0, MetricsScraper.Sample(metrics, "mmproxy_connections_rejected_total{reason=\"header_timeout\"}"));
        Assert.Equal(1, MetricsScraper.Sum(metrics, "mmproxy_header_errors_total",
            "{reason=\"timeout\"}", "{reason=\"too_large\"}", "{reason=\"incomplete\"}"));
        Assert.Equal(Relayed * (double)Payload, MetricsScraper.Sample(metrics, "mmproxy_bytes_total{direction=\"to_upstream\"}"));
        Assert.Equal(Relayed * (double)Payload, MetricsScraper.Sample(metrics, "mmproxy_bytes_total{direction=\"to_client\"}"));
        // Every successful connect is timed; the refused one is not.
        Assert.Equal(Relayed, MetricsScraper.Sample(metrics, "mmproxy_upstream_connect_duration_seconds_count"));
        Assert.Equal(Relayed, MetricsScraper.Sample(metrics, "mmproxy_upstream_connect_duration_seconds_bucket{le=\"+Inf\"}"));
        Assert.Equal(Relayed, upstream.AcceptedCount);
    });

    [Fact]
    public Task Metrics_port_in_use_stops_startup_with_the_reason() => E2E.RunAsync(async net =>
    {
        using Socket taken = NetworkNamespace.CreateSocket(net.ServerNs, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, MetricsPort));
        taken.Listen();
        BackgroundProcess p = net.Start("mmproxy", net.ServerNs, ProxyBinary.Path,
            ["-l", "0.0.0.0:7000", "--metrics", "127.0.0.1:" + MetricsPort, "--quiet"]);
        await p.Exited.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, p.ExitCode);
        // The exit can be seen before the last output line is read: wait for the line.
        await CheckAndRoutingTests.WaitForOutputAsync(p, "--metrics 127.0.0.1:9100: the address is already in use", TimeSpan.FromSeconds(10));
    });
}
