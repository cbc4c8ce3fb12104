using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Udp;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// The pair: client → `mmproxy send` → `mmproxy` (the receiving side, spoofing) → upstream, both our
/// binary. The upstream sees each client's own address and port; every byte echoes, FIN crosses
/// both proxies as a FIN. On TCP v2 with --crc32c the receiver checks the checksum (a bad one would
/// be rejected before the upstream sees a connection).
/// </summary>
public sealed class SendPairTests
{
    private const int Connections = 4;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("v1", "ipv4", "127.0.0.1")]
    [InlineData("v1", "ipv6", "127.0.0.1")]
    [InlineData("v2", "ipv4", "127.0.0.1")]
    [InlineData("v2", "ipv6", "::1")]
    [InlineData("v2-tlvs", "ipv4", "::1")]
    [InlineData("v2-tlvs", "ipv6", "127.0.0.1")]
    public Task Tcp_pair_upstream_sees_the_client_and_every_byte_echoes(string header, string family, string remote) => E2E.RunAsync(async net =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        Upstream upstream = net.StartUpstream(TcpExchange.EchoThenTrailer);
        await SendProcess.StartReceiverAsync(net, "tcp");
        string[] extra = header == "v2-tlvs" ? ["--header", "v2", "--crc32c", "--unique-id"] : ["--header", header];
        await SendProcess.StartAsync(net, "tcp", TestNetwork.Endpoint(remote, TestNetwork.ProxyPort), extra);

        Socket[] clients = await Task.WhenAll(Enumerable.Range(0, Connections)
            .Select(_ => net.ConnectFromClientAsync(new IPEndPoint(net.Server(af), SendProcess.Port))));
        try
        {
            await Task.WhenAll(clients.Select(c => TcpExchange.RunAsync(c)));
            var seen = new List<IPEndPoint>();
            for (int i = 0; i < Connections; i++)
            {
                UpstreamConnection c = await upstream.NextAsync();
                await TcpExchange.AssertUpstreamSawAllAsync(c);
                seen.Add(c.Remote);
            }

            Assert.Equal(clients.Select(c => c.LocalEndPoint!.ToString()).Order(), seen.Select(e => e.ToString()).Order());
        }
        finally
        {
            foreach (Socket c in clients)
            {
                c.Dispose();
            }
        }
    });

    [Theory]
    [InlineData("ipv4", "127.0.0.1")]
    [InlineData("ipv6", "127.0.0.1")]
    [InlineData("ipv4", "::1")]
    [InlineData("ipv6", "::1")]
    public Task Udp_pair_upstream_sees_the_client_and_replies_return(string family, string remote) => UdpE2E.RunAsync(async (net, udp) =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        UdpUpstream upstream = udp.StartUpstream();
        await SendProcess.StartReceiverAsync(net, "udp");
        await SendProcess.StartAsync(net, "udp", TestNetwork.Endpoint(remote, TestNetwork.ProxyPort));

        PlainUdpClient[] clients = Enumerable.Range(0, 10).Select(_ => udp.Own(PlainUdpClient.To(net, af))).ToArray();
        await Task.WhenAll(clients.Select(async (client, i) =>
        {
            for (int n = 0; n < 3; n++)
            {
                string payload = $"flow {i} datagram {n}";
                byte[] reply = await client.ExchangeAsync(Encoding.ASCII.GetBytes(payload), ReplyTimeout);
                Assert.Equal($"{client.Local}|{payload}", Encoding.ASCII.GetString(reply));
            }
        }));

        Assert.Equal(clients.Select(c => c.Local.ToString()).Order(), upstream.Sources.Select(e => e.ToString()).Order());
        Assert.Equal(30, upstream.Count);
    });
}
