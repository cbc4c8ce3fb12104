using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MmProxy.Tests.TestSupport;

/// <summary>Captures every log event (all levels) for assertions.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(string Category, LogLevel Level, EventId EventId, string Message)> Events { get; } = new();

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void Dispose()
    {
    }

    public bool Has(int eventId) => Events.Any(e => e.EventId.Id == eventId);

    public string Dump() => string.Join("\n", Events.Select(e => $"{e.Category}[{e.EventId.Id}] {e.Message}"));

    private sealed class ListLogger(ListLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Events.Enqueue((category, logLevel, eventId, formatter(state, exception)));
    }
}
