using System.Net;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

public sealed class UdpFlowKeyTests
{
    private static ProxyAddress A(string endPoint) => ProxyAddress.FromIPEndPoint(IPEndPoint.Parse(endPoint));

    [Fact]
    public void Same_balancer_and_client_are_one_flow()
    {
        var a = new UdpFlowKey(A("10.0.0.1:5000"), A("192.0.2.1:4000"));
        var b = new UdpFlowKey(A("10.0.0.1:5000"), A("192.0.2.1:4000"));
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void Different_clients_behind_one_balancer_socket_are_different_flows()
    {
        // mmproxy-rs keyed by the balancer only, attributing every client to the first one.
        var a = new UdpFlowKey(A("10.0.0.1:5000"), A("192.0.2.1:4000"));
        Assert.NotEqual(a, new UdpFlowKey(A("10.0.0.1:5000"), A("192.0.2.2:4000")));
        Assert.NotEqual(a, new UdpFlowKey(A("10.0.0.1:5000"), A("192.0.2.1:4001")));
    }

    [Fact]
    public void One_client_through_two_balancer_sockets_is_two_flows()
    {
        var a = new UdpFlowKey(A("10.0.0.1:5000"), A("192.0.2.1:4000"));
        Assert.NotEqual(a, new UdpFlowKey(A("10.0.0.1:5001"), A("192.0.2.1:4000")));
        Assert.NotEqual(a, new UdpFlowKey(A("10.0.0.2:5000"), A("192.0.2.1:4000")));
    }

    [Fact]
    public void Ipv4_and_ipv6_clients_differ_and_local_keys_by_balancer_only()
    {
        var v4 = new UdpFlowKey(A("10.0.0.1:5000"), A("192.0.2.1:4000"));
        var v6 = new UdpFlowKey(A("10.0.0.1:5000"), A("[2001:db8::1]:4000"));
        var local = new UdpFlowKey(A("10.0.0.1:5000"), ProxyAddress.None);
        Assert.NotEqual(v4, v6);
        Assert.True(local.IsLocal);
        Assert.False(v4.IsLocal);
        Assert.Equal(local, new UdpFlowKey(A("10.0.0.1:5000"), default));
        Assert.NotEqual(local, new UdpFlowKey(A("10.0.0.1:5001"), default));
    }

    [Fact]
    public void Works_as_a_dictionary_key()
    {
        var d = new Dictionary<UdpFlowKey, int>();
        for (int i = 0; i < 1000; i++)
        {
            d[new UdpFlowKey(A("10.0.0.1:5000"), A($"192.0.2.{i % 250}:{4000 + i}"))] = i;
        }
        Assert.Equal(1000, d.Count);
        Assert.Equal(7, d[new UdpFlowKey(A("10.0.0.1:5000"), A("192.0.2.7:4007"))]);
    }

    [Fact]
    public void Lookup_allocates_nothing()
    {
        var d = new Dictionary<UdpFlowKey, int> { [new UdpFlowKey(A("10.0.0.1:5000"), A("[2001:db8::1]:4000"))] = 1 };
        var key = new UdpFlowKey(A("10.0.0.1:5000"), A("[2001:db8::1]:4000"));
        d.TryGetValue(key, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int found = 0;
        for (int i = 0; i < 1000; i++)
        {
            found += d.TryGetValue(key, out int v) ? v : 0;
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(1000, found);
    }
}
