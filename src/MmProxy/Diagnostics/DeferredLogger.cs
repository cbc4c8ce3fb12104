using Microsoft.Extensions.Logging;

namespace MmProxy.Diagnostics;

/// <summary>
/// A logger whose target is set later: lets startup open sockets while the logger factory is still
/// being built on another thread. Events before the target is set are dropped (none are expected).
/// </summary>
internal sealed class DeferredLogger : ILogger
{
    private ILogger? _target;

    public ILogger? Target
    {
        get => Volatile.Read(ref _target);
        set => Volatile.Write(ref _target, value);
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => Target?.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => Target?.IsEnabled(logLevel) ?? false;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Target?.Log(logLevel, eventId, state, exception, formatter);
}
