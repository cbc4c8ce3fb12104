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
/// TCP: the client's connection is reset promptly. UDP: each datagram is dropped and counted. The
/// sender keeps running and serves REMOTE as soon as it is there.
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
        BackgroundProcess sender = await SendProcess.StartAsync(net, "tcp", $"{address}:{TestNetwork.ProxyPort}", ["--connect-timeout", "500ms"]);

        for (int i = 0; i < 3; i++)
        {
            using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.ServerV4, SendProcess.Port));
            await Streams.SendAllAsync(client, Encoding.ASCII.GetBytes("hello?"));
            var clock = Stopwatch.StartNew();
            StreamEnd end = await TcpExchange.WaitClosedAsync(client, TimeSpan.FromSeconds(5));
            net.Note($"connection {i}: {end} after {clock.ElapsedMilliseconds} ms");
            Assert.Equal(StreamEnd.Reset, end);
        }

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

    [Theory]
    [InlineData("no-route")]
    [InlineData("refused")]
    public Task Udp_datagrams_to_an_unreachable_remote_are_dropped_and_counted(string remote) => UdpE2E.RunAsync(async (net, udp) =>
    {
        const int Datagrams = 5;
        string address = remote == "no-route" ? NoRoute : "127.0.0.1";
        var metrics = new IPEndPoint(IPAddress.Loopback, SendMetrics.Port);
        BackgroundProcess sender = await SendProcess.StartAsync(net, "udp", $"{address}:{TestNetwork.ProxyPort}",
            ["--metrics", metrics.ToString()], listen: new IPEndPoint(net.ServerV4, SendProcess.Port).ToString());
        await net.WaitListeningAsync(net.ServerNs, SendMetrics.Port, sender);

        using PlainUdpClient client = udp.Own(PlainUdpClient.To(net, AddressFamily.InterNetwork));
        // No route: every datagram fails at once. Refused: the first one leaves and brings back an
        // ICMP port unreachable, which fails the ones after it; either way each ends as a count.
        for (int i = 0; i < Datagrams; i++)
        {
            await client.SendAsync(Encoding.ASCII.GetBytes($"datagram {i}"));
            if (remote == "no-route")
            {
                await SendMetrics.WaitForAsync(net, metrics, SendMetrics.Dropped, i + 1);
            }
        }

        await SendMetrics.WaitForAsync(net, metrics, SendMetrics.Dropped, remote == "no-route" ? Datagrams : 1);
        Assert.False(sender.HasExited, sender.Describe());

        if (remote == "refused")
        {
            // REMOTE comes up: a new client's datagrams reach it.
            UdpUpstream echo = udp.StartUpstream(UdpUpstreamMode.Silent, TestNetwork.ProxyPort);
            using PlainUdpClient next = udp.Own(PlainUdpClient.To(net, AddressFamily.InterNetwork));
            await next.SendAsync("after"u8.ToArray());
            UdpDatagramRecord seen = await echo.NextAsync();
            Assert.Equal(next.Local, V2Bytes.Parse(seen.Payload, out _).Source);
        }
    });
}
