using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>The bound the loops of one listener share: reservations stop at it and come back when released.</summary>
public sealed class UdpFlowLimitTests
{
    [Fact]
    public void Reservations_stop_at_the_bound_and_come_back_when_released()
    {
        var limit = new UdpFlowLimit(3);
        Assert.True(limit.TryReserve());
        Assert.True(limit.TryReserve());
        Assert.True(limit.TryReserve());
        Assert.False(limit.TryReserve());
        Assert.Equal(3, limit.Count);
        limit.Release();
        Assert.Equal(2, limit.Count);
        Assert.True(limit.TryReserve());
        Assert.False(limit.TryReserve());
        Assert.Equal(3, limit.Count);
    }

    [Fact]
    public void A_bound_below_one_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpFlowLimit(0));

    [Fact]
    public void Concurrent_reservations_never_exceed_the_bound()
    {
        var limit = new UdpFlowLimit(1000);
        int granted = 0;
        Parallel.For(0, 5000, _ =>
        {
            if (limit.TryReserve())
            {
                Interlocked.Increment(ref granted);
            }
        });
        Assert.Equal(1000, granted);
        Assert.Equal(1000, limit.Count);
    }

    [Fact]
    public void Concurrent_reservations_and_releases_never_hold_more_than_the_bound()
    {
        const int Bound = 4;
        var limit = new UdpFlowLimit(Bound);
        int held = 0;
        int most = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (int i = 0; i < 20000; i++)
            {
                if (!limit.TryReserve())
                {
                    continue;
                }

                int now = Interlocked.Increment(ref held);
                int seen;
                while (now > (seen = Volatile.Read(ref most)) && Interlocked.CompareExchange(ref most, now, seen) != seen)
                {
                }

                Interlocked.Decrement(ref held);
                limit.Release();
            }
        });
        Assert.InRange(most, 1, Bound);
        Assert.Equal(0, limit.Count);
    }
}
