namespace MmProxy.Loop;

/// <summary>
/// What an <see cref="EventLoop"/> runs: the protocol's side of the loop (TCP connections, UDP
/// flows). Every member is called on the loop thread, in the order of one iteration: events, then
/// <see cref="AfterEvents"/>, then <see cref="OnTimers"/>.
/// </summary>
internal interface ILoopHandler
{
    /// <summary>The earliest deadline of the handler's timers (loop ticks), or <see cref="long.MaxValue"/>; at or before now means "do not sleep".</summary>
    long NextDeadline { get; }

    /// <summary>True once the handler has nothing left to do after a stop request: the loop thread ends.</summary>
    bool IsFinished { get; }

    /// <summary>One event of a descriptor the handler registered (never the loop's wake-up).</summary>
    void OnEvent(ulong data, uint events);

    /// <summary>After each batch of events: work gathered across events (ready connections, reply batches).</summary>
    void AfterEvents();

    /// <summary>Expires what is due at <paramref name="now"/>.</summary>
    void OnTimers(long now);

    /// <summary>A stop was requested (once): stop taking new work; <see cref="IsFinished"/> ends the loop.</summary>
    void OnStopRequested();

    /// <summary>The loop itself failed (epoll, a bug outside any one connection): report it; the thread ends.</summary>
    void OnFailed(Exception exception);

    /// <summary>The thread is ending: release what the handler holds (on the loop thread).</summary>
    void OnExit();
}
