using System.Net;
using Microsoft.Extensions.Time.Testing;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

public sealed class SupportTests
{
    [Fact]
    public void Rate_limiter_lets_one_through_per_interval_and_counts_the_rest()
    {
        var time = new FakeTimeProvider();
        var limiter = new LogRateLimiter(time, TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryEnter(out long suppressed));
        Assert.Equal(0, suppressed);
        for (int i = 0; i < 5; i++)
        {
            Assert.False(limiter.TryEnter(out _));
        }
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryEnter(out suppressed));
        Assert.Equal(5, suppressed);
    }

    [Fact]
    public void Peer_filter_follows_the_current_snapshot()
    {
        var provider = new AllowedSubnetsProvider(AllowedSubnets.Create([IPNetwork.Parse("10.0.0.0/8")]));
        var filter = new UdpPeerFilter(provider);
        ProxyAddress inside = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("10.1.2.3:5000"));
        ProxyAddress mapped = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[::ffff:10.1.2.3]:5000"));
        ProxyAddress outside = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:5000"));
        Assert.True(filter.IsAllowed(inside));
        Assert.True(filter.IsAllowed(inside)); // cached
        Assert.True(filter.IsAllowed(mapped));
        Assert.False(filter.IsAllowed(outside));

        provider.Replace(AllowedSubnets.Create([IPNetwork.Parse("192.0.2.0/24")]));
        Assert.False(filter.IsAllowed(inside));
        Assert.True(filter.IsAllowed(outside));
    }

    [Fact]
    public void Counters_describe_non_zero_drops_by_reason()
    {
        var counters = new UdpCounters();
        Assert.Equal("none", counters.DescribeDrops());
        counters.OnDropped(UdpDropReason.Version1);
        counters.OnDropped(UdpDropReason.TableFull);
        counters.OnDropped(UdpDropReason.TableFull);
        Assert.Equal("v1 1, table full 2", counters.DescribeDrops());
        Assert.Equal(3, counters.DroppedTotal);
    }
}
