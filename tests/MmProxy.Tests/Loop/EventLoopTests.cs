using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using MmProxy.Interop;
using MmProxy.Loop;

namespace MmProxy.Tests.Loop;

/// <summary>The loop core on a fake clock: deadlines run when the clock says so, syncs see them, stops end it.</summary>
public sealed class EventLoopTests
{
    /// <summary>A handler with one deadline list: what a protocol's side of the loop looks like, reduced to timers.</summary>
    private sealed class TimerHandler(LoopClock clock) : ILoopHandler
    {
        private readonly DeadlineList<string> _deadlines = new();

        public ConcurrentQueue<string> Expired { get; } = new();

        public Exception? Failure { get; private set; }

        public bool Exited { get; private set; }

        public bool Stopped { get; private set; }

        public Action? OnEvents { get; set; }

        public long NextDeadline => _deadlines.NextDeadline;

        public bool IsFinished => Stopped && _deadlines.Count == 0;

        /// <summary>Loop thread only (from <see cref="AfterEvents"/> through <see cref="OnEvents"/>).</summary>
        public void Schedule(string name, TimeSpan after) => _deadlines.Schedule(new DeadlineNode<string>(name), clock.Now + clock.Ticks(after));

        public void OnEvent(ulong data, uint events)
        {
        }

        public void AfterEvents()
        {
            Action? action = OnEvents;
            OnEvents = null;
            action?.Invoke();
        }

        public void OnTimers(long now)
        {
            while (_deadlines.TryTakeExpired(now, out string? name))
            {
                Expired.Enqueue(name);
                if (name == "fail")
                {
                    throw new InvalidOperationException("a bug outside any connection");
                }
            }
        }

        public void OnStopRequested() => Stopped = true;

        public void OnFailed(Exception exception) => Failure = exception;

        public void OnExit() => Exited = true;
    }

    private static (EventLoop Loop, TimerHandler Handler) Start(FakeTimeProvider time)
    {
        EventLoop loop = EventLoop.TryCreate(time, out Errno errno) ?? throw new InvalidOperationException(errno.Describe());
        var handler = new TimerHandler(loop.Clock);
        loop.Start(handler, "test-loop", 0);
        return (loop, handler);
    }

    private static Task RunOnLoopAsync(EventLoop loop, TimerHandler handler, Action action)
    {
        handler.OnEvents = action;
        return loop.SyncAsync();
    }

    [Fact]
    public async Task A_deadline_runs_once_the_fake_clock_reaches_it_and_not_before()
    {
        var time = new FakeTimeProvider();
        (EventLoop loop, TimerHandler handler) = Start(time);
        await RunOnLoopAsync(loop, handler, () =>
        {
            handler.Schedule("late", TimeSpan.FromSeconds(10));
            handler.Schedule("early", TimeSpan.FromSeconds(5));
        }).WaitAsync(TimeSpan.FromSeconds(10));

        time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        await loop.SyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(handler.Expired);

        time.Advance(TimeSpan.FromTicks(1));
        await loop.SyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["early"], handler.Expired);

        time.Advance(TimeSpan.FromSeconds(5));
        await loop.SyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["early", "late"], handler.Expired);

        loop.RequestStop();
        await loop.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(handler.Exited);
    }

    [Fact]
    public async Task The_loop_ends_after_a_stop_only_once_the_handler_is_finished()
    {
        var time = new FakeTimeProvider();
        (EventLoop loop, TimerHandler handler) = Start(time);
        await RunOnLoopAsync(loop, handler, () => handler.Schedule("pending", TimeSpan.FromMinutes(1))).WaitAsync(TimeSpan.FromSeconds(10));

        loop.RequestStop();
        await loop.SyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(handler.Stopped);
        Assert.False(loop.Exited.IsCompleted);

        // A fake clock does not wake the loop by moving: a sync does.
        time.Advance(TimeSpan.FromMinutes(1));
        await loop.SyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await loop.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["pending"], handler.Expired);

        // After the end: a sync completes at once and a stop wakes nothing.
        await loop.SyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        loop.RequestStop();
    }

    [Fact]
    public async Task A_failure_of_the_loop_is_reported_and_ends_it()
    {
        var time = new FakeTimeProvider();
        (EventLoop loop, TimerHandler handler) = Start(time);
        await RunOnLoopAsync(loop, handler, () => handler.Schedule("fail", TimeSpan.FromSeconds(1))).WaitAsync(TimeSpan.FromSeconds(10));

        time.Advance(TimeSpan.FromSeconds(1));
        await loop.SyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await loop.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsType<InvalidOperationException>(handler.Failure);
        Assert.True(handler.Exited);
    }
}
