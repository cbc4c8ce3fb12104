using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Lifecycle;
using MmProxy.EndToEnd.Tests.Udp;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// The pair inside one process: a configuration file with "role": "send" listeners (TCP v2 with
/// CRC32C and UNIQUE_ID, UDP v2) in front of receiving listeners of the same process. Clients of
/// both families reach the upstream as themselves; SIGHUP adds a v1 sender without disturbing a
/// connection that is open across the reload.
/// </summary>
public sealed class SendConfigFileTests
{
    private const int SecondSendPort = SendProcess.Port + 1;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public Task Send_and_receive_listeners_in_one_process_carry_tcp_and_udp_and_reload() => UdpE2E.RunAsync(async (net, udp) =>
    {
        Upstream upstream = net.StartUpstream(TcpExchange.EchoThenTrailer);
        UdpUpstream udpUpstream = udp.StartUpstream();
        string path = net.WriteFile("mmproxy.json", Config(withV1Sender: false));
        BackgroundProcess p = await ConfigProxy.StartAsync(net, path, [SendProcess.Port, TestNetwork.ProxyPort]);
        await net.WaitUdpBoundAsync(net.ServerNs, SendProcess.Port, p);
        await net.WaitUdpBoundAsync(net.ServerNs, TestNetwork.ProxyPort, p);

        foreach (AddressFamily af in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
        {
            using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.Server(af), SendProcess.Port));
            await TcpExchange.RunAsync(client);
            UpstreamConnection c = await upstream.NextAsync();
            Assert.Equal(client.LocalEndPoint, c.Remote);
            await TcpExchange.AssertUpstreamSawAllAsync(c);

            using PlainUdpClient udpClient = udp.Own(PlainUdpClient.To(net, af));
            byte[] reply = await udpClient.ExchangeAsync("datagram"u8.ToArray(), ReplyTimeout);
            Assert.Equal($"{udpClient.Local}|datagram", Encoding.ASCII.GetString(reply));
        }

        // A connection open across the reload: half before, the rest after.
        using Socket established = await net.ConnectFromClientAsync(new IPEndPoint(net.ServerV4, SendProcess.Port));
        byte[] data = Streams.Pattern(TcpExchange.Length);
        int half = data.Length / 2;
        await Streams.SendAllAsync(established, data.AsMemory(0, half));
        Assert.Equal(data[..half], await Streams.ReceiveExactlyAsync(established, half));
        UpstreamConnection first = await upstream.NextAsync();
        Assert.Equal(established.LocalEndPoint, first.Remote);

        File.WriteAllText(path, Config(withV1Sender: true));
        await ConfigProxy.ReloadAsync(p, "Reloaded", 1);
        await net.WaitListeningAsync(net.ServerNs, SecondSendPort, p);

        using (Socket viaV1 = await net.ConnectFromClientAsync(new IPEndPoint(net.ServerV6, SecondSendPort)))
        {
            await TcpExchange.RunAsync(viaV1);
            UpstreamConnection c = await upstream.NextAsync();
            Assert.Equal(viaV1.LocalEndPoint, c.Remote);
            await TcpExchange.AssertUpstreamSawAllAsync(c);
        }

        Task<byte[]> rest = TcpExchange.ReadToEndAsync(established);
        await Streams.SendAllAsync(established, data.AsMemory(half));
        established.Shutdown(SocketShutdown.Send);
        byte[] tail = await rest;
        Assert.Equal([.. data[half..], .. TcpExchange.Trailer], tail);
        await TcpExchange.AssertUpstreamSawAllAsync(first);
        Assert.False(p.HasExited, p.Output);
    });

    private static string Config(bool withV1Sender)
    {
        string listen = TestNetwork.Endpoint("::", SendProcess.Port);
        string receive = TestNetwork.Endpoint("::", TestNetwork.ProxyPort);
        string remote = "127.0.0.1:" + TestNetwork.ProxyPort;
        string targets = $"\"ipv4\": \"127.0.0.1:{TestNetwork.UpstreamPort}\", \"ipv6\": \"[::1]:{TestNetwork.UpstreamPort}\"";
        string v1 = withV1Sender
            ? $",\n    {{ \"name\": \"send-v1\", \"role\": \"send\", \"listen\": \"{TestNetwork.Endpoint("::", SecondSendPort)}\", \"remote\": \"[::1]:{TestNetwork.ProxyPort}\", \"header\": \"v1\" }}"
            : "";
        return $$"""
            {
              // The sending side and the receiving side of the pair, in one process.
              "listeners": [
                { "name": "send-tcp", "role": "send", "listen": "{{listen}}", "remote": "{{remote}}", "header": "v2", "crc32c": true, "uniqueId": true },
                { "name": "send-udp", "role": "send", "protocol": "udp", "listen": "{{listen}}", "remote": "{{remote}}" },
                { "name": "receive-tcp", "listen": "{{receive}}", {{targets}} },
                { "name": "receive-udp", "protocol": "udp", "listen": "{{receive}}", {{targets}} }{{v1}}
              ]
            }

            """;
    }
}
