using Microsoft.Extensions.Time.Testing;
using MmProxy.Loop;

namespace MmProxy.Tests.Loop;

public sealed class LoopClockTests
{
    [Fact]
    public void Durations_are_ticks_of_the_injected_clock_and_never_zero()
    {
        var time = new FakeTimeProvider();
        var clock = new LoopClock(time);
        Assert.Equal(time.TimestampFrequency * 5, clock.Ticks(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, clock.Ticks(TimeSpan.Zero));
        Assert.Equal(250, clock.Milliseconds(clock.Ticks(TimeSpan.FromMilliseconds(250))));
    }

    [Fact]
    public void Now_moves_only_when_read_again()
    {
        var time = new FakeTimeProvider();
        var clock = new LoopClock(time);
        long start = clock.Now;
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(start, clock.Now);
        Assert.Equal(start + clock.Ticks(TimeSpan.FromSeconds(3)), clock.Update());
        Assert.Equal(clock.Now, time.GetTimestamp());
    }

    [Fact]
    public void The_wait_until_a_deadline_rounds_up_and_is_zero_once_due()
    {
        var time = new FakeTimeProvider();
        var clock = new LoopClock(time);
        long deadline = time.GetTimestamp() + clock.Ticks(TimeSpan.FromMilliseconds(1.5));
        Assert.Equal(-1, clock.TimeoutUntil(long.MaxValue));
        Assert.Equal(2, clock.TimeoutUntil(deadline));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, clock.TimeoutUntil(deadline));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, clock.TimeoutUntil(deadline));
        Assert.Equal(int.MaxValue, clock.TimeoutUntil(time.GetTimestamp() + clock.Ticks(TimeSpan.FromDays(365))));
    }
}
