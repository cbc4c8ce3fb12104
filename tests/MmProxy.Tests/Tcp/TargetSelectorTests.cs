using System.Net;
using MmProxy.Tcp;

namespace MmProxy.Tests.Tcp;

public sealed class TargetSelectorTests
{
    private static readonly IPEndPoint V4Target = IPEndPoint.Parse("127.0.0.1:443");
    private static readonly IPEndPoint V6Target = IPEndPoint.Parse("[::1]:443");
    private static readonly IPEndPoint V4Peer = IPEndPoint.Parse("198.51.100.1:5000");
    private static readonly IPEndPoint V6Peer = IPEndPoint.Parse("[2001:db8::1]:5000");

    private readonly TargetSelector _selector = new(V4Target, V6Target);

    [Fact]
    public void Ipv4_client_goes_to_the_ipv4_target_from_its_address()
    {
        TargetSelection s = _selector.Select(IPEndPoint.Parse("192.0.2.1:1234"), V6Peer);
        Assert.True(s.Succeeded);
        Assert.Equal(V4Target, s.Target);
        Assert.Equal(IPEndPoint.Parse("192.0.2.1:1234"), s.Source);
        Assert.True(s.Spoofed);
    }

    [Fact]
    public void Ipv6_client_goes_to_the_ipv6_target_from_its_address()
    {
        TargetSelection s = _selector.Select(IPEndPoint.Parse("[2001:db8::7]:1234"), V4Peer);
        Assert.Equal(V6Target, s.Target);
        Assert.Equal(IPEndPoint.Parse("[2001:db8::7]:1234"), s.Source);
    }

    [Fact]
    public void V4_mapped_client_counts_as_ipv4()
    {
        TargetSelection s = _selector.Select(IPEndPoint.Parse("[::ffff:192.0.2.1]:1234"), V6Peer);
        Assert.Equal(V4Target, s.Target);
        Assert.Equal(IPEndPoint.Parse("192.0.2.1:1234"), s.Source);
    }

    [Fact]
    public void Ipv4_client_with_an_ipv6_ipv4_target_binds_v4_mapped()
    {
        var selector = new TargetSelector(IPEndPoint.Parse("[::ffff:127.0.0.1]:443"), V6Target);
        TargetSelection s = selector.Select(IPEndPoint.Parse("192.0.2.1:1234"), V4Peer);
        Assert.Equal(IPEndPoint.Parse("[::ffff:127.0.0.1]:443"), s.Target);
        Assert.Equal(IPEndPoint.Parse("[::ffff:192.0.2.1]:1234"), s.Source);
    }

    [Fact]
    public void Ipv6_client_with_an_ipv4_ipv6_target_is_refused_with_a_reason()
    {
        var selector = new TargetSelector(V4Target, IPEndPoint.Parse("127.0.0.1:8443"));
        TargetSelection s = selector.Select(IPEndPoint.Parse("[2001:db8::7]:1234"), V4Peer);
        Assert.False(s.Succeeded);
        Assert.Contains("-6", s.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_client_address_the_lb_family_picks_the_target_and_nothing_is_spoofed()
    {
        TargetSelection v4 = _selector.Select(null, V4Peer);
        Assert.Equal(V4Target, v4.Target);
        Assert.Null(v4.Source);
        Assert.False(v4.Spoofed);

        TargetSelection v6 = _selector.Select(null, V6Peer);
        Assert.Equal(V6Target, v6.Target);
        Assert.Null(v6.Source);

        TargetSelection mapped = _selector.Select(null, IPEndPoint.Parse("[::ffff:198.51.100.1]:5000"));
        Assert.Equal(V4Target, mapped.Target);
    }
}
