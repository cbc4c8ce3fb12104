using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Udp;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// REMOTE unreachable: nothing listening (refused), no route (198.51.100.1: the server namespace has
/// no default route), or silent (an on-link address nobody answers ARP for, with --connect-timeout).
/// TCP: the client's connection is reset promptly. UDP: a datagram that cannot leave is dropped and
/// counted, a refusal (ICMP) is counted. The sender keeps running and serves REMOTE as soon as it is there.
/// </summary>
public sealed class SendUnreachableTests
{
    // On the server's /25 but assigned nowhere: SYNs wait for an ARP answer that never comes.
    private const string Silent = "192.0.2.200";
    private const string NoRoute = "198.51.100.1";

    [Theory]
    [InlineData("refused")]
    [InlineData("no-route")]
    [InlineData("silent")]
    public Task Tcp_client_is_reset_promptly_and_the_sender_keeps_serving(string remote) => E2E.RunAsync(async net =>
    {
        string address = remote switch { "no-route" => NoRoute, "silent" => Silent, _ => "127.0.0.1" };
        var metrics = new IPEndPoint(IPAddress.Loopback, SendMetrics.Port);
        BackgroundProcess sender = await SendProcess.StartAsync(net, "tcp", $"{address}:{TestNetwork.ProxyPort}", ["--connect-timeout", "500ms", "--metrics", metrics.ToString()]);
        await net.WaitListeningAsync(net.ServerNs, SendMetrics.Port, sender);

        for (int i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            StreamEnd end;
            try
            {
                using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.ServerV4, SendProcess.Port));
                await Streams.SendAllAsync(client, Encoding.ASCII.GetBytes("hello?"));
                end = await TcpExchange.WaitClosedAsync(client, TimeSpan.FromSeconds(5));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // The reset can beat the client's connect completion or its first write.
                end = StreamEnd.Reset;
            }

            net.Note($"connection {i}: {end} after {clock.ElapsedMilliseconds} ms");
            Assert.Equal(StreamEnd.Reset, end);
            if (remote == "silent")
            {
                // Closed by --connect-timeout, not before it.
                Assert.InRange(clock.ElapsedMilliseconds, 400, 5000);
            }
        }

        string reason = remote switch { "silent" => "upstream_timeout", "refused" => "upstream_refused", _ => "upstream_other" };
        string page = await SendMetrics.WaitForAsync(net, metrics, "mmproxy_connections_rejected_total", 3);
        Assert.Equal(3, SendMetrics.Value(page, $"mmproxy_connections_rejected_total{{reason=\"{reason}\"}}"));
        Assert.False(sender.HasExited, sender.Describe());
        if (remote == "refused")
        {
            // REMOTE comes up: the next client goes through.
            var capture = new HeaderCapture();
            Upstream receiver = capture.Start(net);
            using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.ServerV4, SendProcess.Port));
            await TcpExchange.RunAsync(client);
            (_, byte[] header) = await capture.NextAsync();
            Assert.Equal((IPEndPoint)client.LocalEndPoint!, V2Bytes.Parse(header, out _).Source);
            await TcpExchange.AssertUpstreamSawAllAsync(await receiver.NextAsync());
        }
    });

    [Fact]
    public Task Udp_datagrams_to_a_remote_without_a_route_are_dropped_and_counted() => UdpE2E.RunAsync(async (net, udp) =>
    {
        const int Datagrams = 5;
        var metrics = new IPEndPoint(IPAddress.Loopback, SendMetrics.Port);
        BackgroundProcess sender = await SendProcess.StartAsync(net, "udp", $"{NoRoute}:{TestNetwork.ProxyPort}",
            ["--metrics", metrics.ToString()], listen: new IPEndPoint(net.ServerV4, SendProcess.Port).ToString());
        await net.WaitListeningAsync(net.ServerNs, SendMetrics.Port, sender);

        // Each datagram fails to open its flow (connect: network unreachable) and is dropped, one by one.
        using PlainUdpClient client = udp.Own(PlainUdpClient.To(net, AddressFamily.InterNetwork));
        string page = string.Empty;
        for (int i = 1; i <= Datagrams; i++)
        {
            await client.SendAsync(Encoding.ASCII.GetBytes($"datagram {i}"));
            page = await SendMetrics.WaitForAsync(net, metrics, SendMetrics.Dropped, i);
        }

        Assert.Equal(Datagrams, SendMetrics.Value(page, SendMetrics.Dropped + "{reason=\"flow_setup_failed\"}"));
        Assert.Equal(Datagrams, SendMetrics.Value(page, SendMetrics.Dropped));
        Assert.Equal(0, SendMetrics.Value(page, "mmproxy_udp_flows_active"));
        Assert.False(sender.HasExited, sender.Describe());
    });

    [Fact]
    public Task Udp_to_a_refused_remote_is_counted_and_the_flow_works_once_it_listens() => UdpE2E.RunAsync(async (net, udp) =>
    {
        var remote = new IPEndPoint(IPAddress.Loopback, TestNetwork.ProxyPort);
        BackgroundProcess sender = await SendProcess.StartAsync(net, "udp", remote.ToString(), listen: new IPEndPoint(net.ServerV4, SendProcess.Port).ToString());

        // The first datagram leaves; the ICMP port unreachable it brings back is counted and logged.
        using PlainUdpClient client = udp.Own(PlainUdpClient.To(net, AddressFamily.InterNetwork));
        await client.SendAsync("into the void"u8.ToArray());
        await ProcessLog.WaitForAsync(sender, $"Upstream {remote} unreachable for client");
        Assert.False(sender.HasExited, sender.Describe());

        // REMOTE comes up: the same flow's next datagram reaches it, as do a new client's.
        UdpUpstream receiver = udp.StartUpstream(UdpUpstreamMode.Silent, TestNetwork.ProxyPort);
        using PlainUdpClient second = udp.Own(PlainUdpClient.To(net, AddressFamily.InterNetwork));
        foreach (PlainUdpClient c in new[] { client, second })
        {
            await c.SendAsync("hello"u8.ToArray());
            UdpDatagramRecord seen = await receiver.NextAsync();
            Assert.Equal(c.Local, V2Bytes.Parse(seen.Payload, out int length).Source);
            Assert.Equal("hello"u8.ToArray(), seen.Payload[length..]);
        }

        // The count is in the summary at exit (not a /metrics series).
        await Command.CheckAsync("kill", "-TERM", sender.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await sender.Exited.WaitAsync(TestNetwork.DefaultTimeout);
        Assert.Equal(0, sender.ExitCode);
        Assert.Matches("ICMP unreachable: [1-9]", sender.Output);
    });
}
