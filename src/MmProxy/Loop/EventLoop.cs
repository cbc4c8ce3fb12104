using System.Collections.Concurrent;
using System.Globalization;
using MmProxy.Interop;

namespace MmProxy.Loop;

/// <summary>
/// The loop core both engines run on: one thread, one epoll, one clock. Each iteration waits until
/// an event or the handler's next deadline, reads the clock, dispatches the events, lets the handler
/// finish the batch, then runs its timers. Everything protocol-specific is the
/// <see cref="ILoopHandler"/>'s; other threads only ask the loop to stop, or to run something on it
/// after an iteration (<see cref="RunOnLoopAsync"/>, <see cref="SyncAsync"/>).
/// </summary>
internal sealed class EventLoop : IDisposable
{
    private const int MaxEvents = 256;

    private readonly EpollEvents _events = new(MaxEvents);
    private readonly ConcurrentQueue<(Action? Action, TaskCompletionSource Done)> _work = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ILoopHandler? _handler;
    private volatile bool _stopRequested;

    private EventLoop(Epoll epoll, LoopClock clock)
    {
        Epoll = epoll;
        Clock = clock;
    }

    public Epoll Epoll { get; }

    public LoopClock Clock { get; }

    /// <summary>Completes when the loop thread has ended (after <see cref="ILoopHandler.OnExit"/>; the epoll instance is closed by then).</summary>
    public Task Exited => _exited.Task;

    /// <summary>Creates the epoll instance and clock, or null with the errno.</summary>
    public static EventLoop? TryCreate(TimeProvider time, out Errno errno)
    {
        Epoll? epoll = Epoll.TryCreate(out errno);
        return epoll is null ? null : new EventLoop(epoll, new LoopClock(time));
    }

    /// <summary>Starts the loop thread for <paramref name="handler"/>.</summary>
    public void Start(ILoopHandler handler, string name, int index)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handler = handler;
        new Thread(Run) { IsBackground = true, Name = name + "-" + index.ToString(CultureInfo.InvariantCulture) }.Start();
    }

    /// <summary>Asks the loop to stop (any thread); the handler decides when it is finished.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        Epoll.Wake();
    }

    /// <summary>
    /// Completes after the loop has run one whole iteration (events, timers) whose clock was read
    /// after this call: a test that moves a fake clock then awaits this has seen every expiry due.
    /// It says nothing about I/O: bytes sent just before the call may be handled an iteration later.
    /// </summary>
    public Task SyncAsync() => RunOnLoopAsync(null);

    /// <summary>
    /// Runs <paramref name="action"/> on the loop thread after the timers of an iteration whose clock
    /// was read after this call (it may block the loop, to hold it while a socket changes under it);
    /// the task completes when it has run. After the loop has ended, the action does not run.
    /// </summary>
    public Task RunOnLoopAsync(Action? action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Enqueue((action, done));
        Epoll.Wake();
        if (_exited.Task.IsCompleted)
        {
            RunWork(int.MaxValue, run: false);
        }

        return done.Task;
    }

    private void Run()
    {
        ILoopHandler handler = _handler!;
        bool stopSeen = false;
        try
        {
            while (true)
            {
                SysResult n = Epoll.Wait(_events, Clock.TimeoutUntil(handler.NextDeadline));
                if (!n.Succeeded)
                {
                    throw new InvalidOperationException("epoll_wait failed: " + n.Error.Describe());
                }

                // Counted before the clock is read: work counted here was asked for before it.
                int work = _work.IsEmpty ? 0 : _work.Count;
                Clock.Update();
                for (int i = 0; i < n.Int; i++)
                {
                    ulong data = _events.DataAt(i);
                    if (data != Epoll.WakeData)
                    {
                        handler.OnEvent(data, _events.EventsAt(i));
                    }
                }

                handler.AfterEvents();
                handler.OnTimers(Clock.Update());
                if (_stopRequested && !stopSeen)
                {
                    stopSeen = true;
                    handler.OnStopRequested();
                }

                RunWork(work, run: true);
                if (stopSeen && handler.IsFinished)
                {
                    break;
                }
            }
        }
#pragma warning disable CA1031 // The loop's last line of defence: reported by the handler; the host exits non-zero.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            handler.OnFailed(ex);
        }
        finally
        {
            handler.OnExit();
            Dispose();
            _exited.TrySetResult();
            RunWork(int.MaxValue, run: false);
        }
    }

    private void RunWork(int count, bool run)
    {
        for (int i = 0; i < count && _work.TryDequeue(out (Action? Action, TaskCompletionSource Done) item); i++)
        {
            if (run)
            {
                item.Action?.Invoke();
            }

            item.Done.TrySetResult();
        }
    }

    /// <summary>Frees the epoll instance and the event array: done by the loop thread as it ends; call it only for a loop never started.</summary>
    public void Dispose()
    {
        Epoll.Dispose();
        _events.Dispose();
    }
}
