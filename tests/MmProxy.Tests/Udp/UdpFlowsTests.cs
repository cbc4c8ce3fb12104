using System.Net;
using Microsoft.Extensions.Time.Testing;
using MmProxy.Configuration;
using MmProxy.Interop;
using MmProxy.Loop;
using MmProxy.ProxyProtocol;
using MmProxy.Tests.TestSupport;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>
/// One loop's flow table without the loop thread (the test thread plays it): keys, slots and
/// generations (a stale epoll event never reaches a later flow), the bound, closing everything.
/// </summary>
public sealed class UdpFlowsTests : IDisposable
{
    private static readonly TimeSpan CloseAfter = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new();
    private readonly UdpCounters _counters = new();
    private readonly UdpListenerContext _context;
    private readonly Epoll _epoll;
    private readonly LoopClock _clock;
    private readonly UdpFlows _flows;

    public UdpFlowsTests()
    {
        // The target need not listen: a flow's socket is only connected.
        ProxyOptions options = new ProxyOptionsBuilder
        {
            TargetV4 = new IPEndPoint(IPAddress.Loopback, LoopbackUdp.FreePort()),
            CloseAfter = CloseAfter,
            MaxUdpFlows = 2,
        }.Build();
        _context = new UdpListenerContext(options, new AllowedSubnetsProvider(AllowedSubnets.AllowAll), _counters, new ListLoggerFactory(), _time);
        _epoll = Epoll.TryCreate(out Errno errno) ?? throw new InvalidOperationException("epoll: " + errno.Describe());
        _clock = new LoopClock(_time);
        _flows = new UdpFlows(_context, _epoll, _clock, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9));
    }

    [Fact]
    public void A_taken_key_returns_its_flow_without_another_reservation()
    {
        UdpFlow first = Open(9001);
        Assert.Same(first, Open(9001));
        Assert.Equal(1, _flows.Count);
        Assert.Equal(1, _context.Limit.Count);
        Assert.Equal(1, _counters.FlowsCreated);
    }

    [Fact]
    public void A_stale_event_never_resolves_to_a_later_flow_in_the_same_slot()
    {
        UdpFlow first = Open(9001);
        ulong stale = first.EventData;
        Assert.Same(first, _flows.Resolve(stale));

        _time.Advance(CloseAfter);
        _flows.Expire(_clock.Update());
        Assert.Null(_flows.Resolve(stale));

        UdpFlow second = Open(9002);
        Assert.Equal(first.Slot, second.Slot);
        Assert.NotEqual(stale, second.EventData);
        Assert.Null(_flows.Resolve(stale));
        Assert.Same(second, _flows.Resolve(second.EventData));
        Assert.Null(_flows.Resolve(((ulong)second.Generation << 32) | 999)); // a slot never used
    }

    [Fact]
    public void A_full_table_opens_nothing_until_a_flow_closes()
    {
        Open(9001);
        _time.Advance(CloseAfter / 2);
        _clock.Update();
        Open(9002);
        Assert.Null(_flows.GetOrOpen(Key(9003), From(9003)));
        Assert.Equal(1, _counters.Dropped(UdpDropReason.TableFull));
        Assert.Equal(2, _context.Limit.Count);

        _time.Advance(CloseAfter / 2);
        _flows.Expire(_clock.Update()); // the first flow only
        Assert.Equal(1, _flows.Count);
        Assert.NotNull(_flows.GetOrOpen(Key(9003), From(9003)));
        Assert.Equal(2, _flows.Count);
        Assert.Equal(3, _counters.FlowsCreated);
        Assert.Equal(1, _counters.FlowsExpired);
    }

    [Fact]
    public void Closing_all_closes_every_flow_socket_and_releases_the_bound()
    {
        IPEndPoint a = RawSocket.LocalEndPoint(Open(9001).Fd)!;
        IPEndPoint b = RawSocket.LocalEndPoint(Open(9002).Fd)!;
        Assert.True(LoopbackUdp.IsInUse(a) && LoopbackUdp.IsInUse(b));

        _flows.CloseAll();
        Assert.Equal(0, _flows.Count);
        Assert.Equal(0, _context.Limit.Count);
        Assert.Equal(long.MaxValue, _flows.NextExpiry);
        Assert.False(LoopbackUdp.IsInUse(a), $"{a} still open");
        Assert.False(LoopbackUdp.IsInUse(b), $"{b} still open");
        Assert.Equal(0, _counters.FlowsExpired); // closed, not expired
    }

    public void Dispose()
    {
        _flows.CloseAll();
        _epoll.Dispose();
    }

    private static UdpFlowKey Key(int balancerPort) =>
        new(ProxyAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, balancerPort)), ProxyAddress.None);

    private static NativeSocketAddress From(int balancerPort) => NativeSocketAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, balancerPort));

    private UdpFlow Open(int balancerPort)
    {
        UdpFlow? flow = _flows.GetOrOpen(Key(balancerPort), From(balancerPort));
        Assert.True(flow is not null, "the flow did not open: " + _counters.DescribeDrops());
        return flow;
    }
}
