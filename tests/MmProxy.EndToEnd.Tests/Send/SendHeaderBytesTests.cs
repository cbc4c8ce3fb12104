using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Udp;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// What `mmproxy send` puts on the wire, byte by byte, as a receiver of the test's own captures it
/// at REMOTE: the v1 line, the v2 header with and without the CRC32C and UNIQUE_ID TLVs, the v2 header
/// on every UDP datagram. The client is whoever connected (IPv4 clients on the [::] listener as
/// TCP4), the destination the address it reached; REMOTE's family does not matter.
/// </summary>
public sealed class SendHeaderBytesTests
{
    [Theory]
    [InlineData("ipv4", "127.0.0.1")]
    [InlineData("ipv6", "127.0.0.1")]
    [InlineData("ipv4", "::1")]
    [InlineData("ipv6", "::1")]
    public Task Tcp_v1_is_one_exact_line_naming_client_and_listen_address(string family, string remote) => E2E.RunAsync(async net =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var capture = new HeaderCapture();
        Upstream receiver = capture.Start(net);
        await SendProcess.StartAsync(net, "tcp", TestNetwork.Endpoint(remote, TestNetwork.ProxyPort), ["--header", "v1"]);

        using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.Server(af), SendProcess.Port));
        var local = (IPEndPoint)client.LocalEndPoint!;
        await TcpExchange.RunAsync(client);
        (IPEndPoint peer, byte[] header) = await capture.NextAsync();

        string expected = string.Create(CultureInfo.InvariantCulture,
            $"PROXY {(family == "ipv6" ? "TCP6" : "TCP4")} {local.Address} {net.Server(af)} {local.Port} {SendProcess.Port}\r\n");
        Assert.Equal(expected, Encoding.ASCII.GetString(header));
        // An ordinary socket: the sender connects from its own address, no spoofing.
        Assert.True(IPAddress.IsLoopback(peer.Address), $"the sender connected from {peer}");
        await TcpExchange.AssertUpstreamSawAllAsync(await receiver.NextAsync());
    });

    [Theory]
    [InlineData("ipv4", false)]
    [InlineData("ipv6", false)]
    [InlineData("ipv4", true)]
    [InlineData("ipv6", true)]
    public Task Tcp_v2_header_is_exact_and_tlvs_are_valid_and_unique(string family, bool tlvs) => E2E.RunAsync(async net =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var capture = new HeaderCapture();
        Upstream receiver = capture.Start(net);
        string[] extra = tlvs ? ["--crc32c", "--unique-id"] : [];
        await SendProcess.StartAsync(net, "tcp", "127.0.0.1:" + TestNetwork.ProxyPort, extra);

        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.Server(af), SendProcess.Port));
            var local = (IPEndPoint)client.LocalEndPoint!;
            await TcpExchange.RunAsync(client);
            (_, byte[] header) = await capture.NextAsync();
            await TcpExchange.AssertUpstreamSawAllAsync(await receiver.NextAsync());

            V2Bytes v2 = V2Bytes.Parse(header, out int length);
            Assert.Equal(header.Length, length);
            Assert.Equal(V2Bytes.ProxyCommand, v2.VersionCommand);
            Assert.Equal(af == AddressFamily.InterNetworkV6 ? V2Bytes.Tcp6 : V2Bytes.Tcp4, v2.FamilyProtocol);
            Assert.Equal(local, v2.Source);
            Assert.Equal(new IPEndPoint(net.Server(af), SendProcess.Port), v2.Destination);
            if (!tlvs)
            {
                Assert.Empty(v2.Tlvs);
                continue;
            }

            Assert.Equal([V2Bytes.Crc32CType, V2Bytes.UniqueIdType], v2.Tlvs.Select(t => t.Type).Order());
            Assert.Equal(4, v2.Tlv(V2Bytes.Crc32CType)!.Length);
            V2Bytes.AssertCrc32C(header);
            Assert.Equal(16, v2.Tlv(V2Bytes.UniqueIdType)!.Length);
            ids.Add(Convert.ToHexString(v2.Tlv(V2Bytes.UniqueIdType)!));
        }

        Assert.Equal(ids.Count, ids.Distinct().Count());
    });

    [Theory]
    [InlineData("ipv4", false)]
    [InlineData("ipv6", false)]
    [InlineData("ipv4", true)]
    [InlineData("ipv6", true)]
    public Task Udp_v2_header_on_every_datagram_one_unique_id_per_flow(string family, bool tlvs) => UdpE2E.RunAsync(async (net, udp) =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        UdpUpstream remote = udp.StartUpstream(UdpUpstreamMode.Silent, TestNetwork.ProxyPort);
        var listen = new IPEndPoint(net.Server(af), SendProcess.Port);
        string[] extra = tlvs ? ["--crc32c", "--unique-id"] : [];
        await SendProcess.StartAsync(net, "udp", "127.0.0.1:" + TestNetwork.ProxyPort, extra, listen: listen.ToString());

        var idsByFlow = new Dictionary<IPEndPoint, HashSet<string>>();
        var sockets = new Dictionary<IPEndPoint, HashSet<IPEndPoint>>();
        for (int c = 0; c < 2; c++)
        {
            using PlainUdpClient client = udp.Own(PlainUdpClient.To(net, af));
            for (int i = 0; i < 3; i++)
            {
                byte[] payload = Encoding.ASCII.GetBytes($"client {c} datagram {i}");
                await client.SendAsync(payload);
                UdpDatagramRecord seen = await remote.NextAsync();
                V2Bytes v2 = V2Bytes.Parse(seen.Payload, out int length);
                Assert.Equal(V2Bytes.ProxyCommand, v2.VersionCommand);
                Assert.Equal(af == AddressFamily.InterNetworkV6 ? V2Bytes.Udp6 : V2Bytes.Udp4, v2.FamilyProtocol);
                Assert.Equal(client.Local, v2.Source);
                Assert.Equal(listen, v2.Destination);
                Assert.Equal(payload, seen.Payload[length..]);
                Assert.True(IPAddress.IsLoopback(seen.Source.Address), $"the sender sent from {seen.Source}");
                sockets.TryAdd(client.Local, []);
                sockets[client.Local].Add(seen.Source);
                if (!tlvs)
                {
                    Assert.Empty(v2.Tlvs);
                    continue;
                }

                V2Bytes.AssertCrc32C(seen.Payload.AsSpan(0, length));
                byte[] id = v2.Tlv(V2Bytes.UniqueIdType) ?? throw new Xunit.Sdk.XunitException("no UNIQUE_ID TLV");
                Assert.Equal(16, id.Length);
                idsByFlow.TryAdd(client.Local, []);
                idsByFlow[client.Local].Add(Convert.ToHexString(id));
            }
        }

        // One upstream socket per flow: each client's datagrams all from one socket, the two apart.
        Assert.All(sockets.Values, s => Assert.Single(s));
        Assert.NotEqual(sockets.Values.First().Single(), sockets.Values.Last().Single());
        if (tlvs)
        {
            // The same id on every datagram of a flow, another one for the other flow.
            Assert.Equal(2, idsByFlow.Count);
            Assert.All(idsByFlow.Values, ids => Assert.Single(ids));
            Assert.NotEqual(idsByFlow.Values.First().Single(), idsByFlow.Values.Last().Single());
        }
    });
}
