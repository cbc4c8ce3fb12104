using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests;

/// <summary>
/// The point of mmproxy: behind a real load balancer, the upstream sees the client's own address
/// and port, for IPv4 and IPv6 clients, through HAProxy (v1 and v2) and nginx.
/// </summary>
public sealed class AddressPreservationTests
{
    public static TheoryData<string, string> Balancers => new()
    {
        { "haproxy-v1", "ipv4" }, { "haproxy-v1", "ipv6" },
        { "haproxy-v2", "ipv4" }, { "haproxy-v2", "ipv6" },
        { "nginx", "ipv4" }, { "nginx", "ipv6" },
    };

    [Theory]
    [MemberData(nameof(Balancers))]
    public Task Upstream_sees_client_address_and_port_through_balancer(string balancer, string family) => E2E.RunAsync(async net =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        // The balancer reaches mmproxy over the server's loopback of the same family.
        string loopback = af == AddressFamily.InterNetworkV6 ? "::1" : "127.0.0.1";
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        await net.StartProxyAsync(listen: loopback);
        string target = TestNetwork.Endpoint(loopback, TestNetwork.ProxyPort);
        _ = balancer switch
        {
            "haproxy-v1" => await net.StartHaProxyAsync(target + " send-proxy"),
            "haproxy-v2" => await net.StartHaProxyAsync(target + " send-proxy-v2"),
            _ => await net.StartNginxAsync(target),
        };

        const int clientPort = 41000;
        using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.Server(af), TestNetwork.BalancerPort), clientPort);
        byte[] hello = Encoding.ASCII.GetBytes($"hello from {balancer} {family}");
        await Streams.SendAllAsync(client, hello);
        byte[] echoed = await Streams.ReceiveExactlyAsync(client, hello.Length);

        UpstreamConnection seen = await upstream.NextAsync();
        Assert.Equal(new IPEndPoint(net.Client(af), clientPort), seen.Remote);
        Assert.Equal(hello, echoed);
        Assert.Equal(1, upstream.AcceptedCount);
    });

    [Theory]
    [InlineData("ipv4")]
    [InlineData("ipv6")]
    public Task HaProxy_local_health_checks_reach_upstream_unspoofed(string family) => E2E.RunAsync(async net =>
    {
        string loopback = family == "ipv6" ? "::1" : "127.0.0.1";
        Upstream upstream = net.StartUpstream(Handlers.Sink);
        await net.StartProxyAsync(listen: loopback);
        // check-send-proxy on a send-proxy-v2 server: every check carries a v2 LOCAL header.
        await net.StartHaProxyAsync(TestNetwork.Endpoint(loopback, TestNetwork.ProxyPort) + " send-proxy-v2 check check-send-proxy inter 200ms");

        // No client connects: everything the upstream accepts is a health check.
        for (int i = 0; i < 3; i++)
        {
            UpstreamConnection check = await upstream.NextAsync(TimeSpan.FromSeconds(5));
            Assert.True(IPAddress.IsLoopback(check.Remote.Address),
                $"health check {i} reached the upstream from {check.Remote}, expected the proxy's own loopback address");
        }
    });

    [Theory]
    [InlineData("ipv4", "::1")]
    [InlineData("ipv6", "127.0.0.1")]
    public Task Target_follows_the_client_family_not_the_balancer_connection(string family, string balancerToProxy) => E2E.RunAsync(async net =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        await net.StartProxyAsync(listen: balancerToProxy);
        await net.StartHaProxyAsync(TestNetwork.Endpoint(balancerToProxy, TestNetwork.ProxyPort) + " send-proxy-v2");

        using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.Server(af), TestNetwork.BalancerPort), 41500);
        await Streams.SendAllAsync(client, "cross"u8.ToArray());
        _ = await Streams.ReceiveExactlyAsync(client, 5);

        UpstreamConnection seen = await upstream.NextAsync();
        Assert.Equal(new IPEndPoint(net.Client(af), 41500), seen.Remote);
        // -4 for an IPv4 client, -6 for an IPv6 one, whatever family the balancer used to reach the proxy.
        Assert.Equal(af == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, seen.Local.Address);
    });
}
