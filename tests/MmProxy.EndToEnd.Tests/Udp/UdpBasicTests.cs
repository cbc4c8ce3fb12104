using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>-p udp end to end: the upstream sees the client endpoint from the header; replies come back to the right balancer socket.</summary>
public sealed class UdpBasicTests
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("ipv4", "ipv4")]
    [InlineData("ipv6", "ipv4")]
    [InlineData("ipv4", "ipv6")]
    [InlineData("ipv6", "ipv6")]
    public Task Upstream_sees_client_endpoint_and_reply_returns(string clientFamily, string balancerFamily) => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        await net.StartUdpProxyAsync();
        IPEndPoint client = clientFamily == "ipv6"
            ? new IPEndPoint(IPAddress.Parse("2001:db8:ffff:77::5"), 40001)
            : new IPEndPoint(IPAddress.Parse("203.0.113.5"), 40001);
        AddressFamily lb = balancerFamily == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        using var session = udp.Own(new UdpClientSession(net, new IPEndPoint(net.Server(lb), TestNetwork.ProxyPort), client));

        for (int i = 0; i < 3; i++)
        {
            byte[] payload = Encoding.ASCII.GetBytes($"hello {i}");
            await session.SendAsync(payload);
            UdpDatagramRecord seen = await upstream.NextAsync(ReplyTimeout);
            Assert.Equal(client, seen.Source);
            Assert.Equal(payload, seen.Payload);
            byte[]? reply = await session.ReceiveAsync(ReplyTimeout);
            Assert.NotNull(reply);
            Assert.Equal($"{client}|hello {i}", Encoding.ASCII.GetString(reply));
        }

        Assert.Equal(1, await net.CountUdpFlowSocketsAsync());
    });
}
