using System.Runtime.InteropServices;

namespace MmProxy.Hosting;

/// <summary>
/// SIGINT/SIGTERM for both hosts: the first signal asks to stop (listeners close, open connections
/// drain); a second one while draining stops waiting for them.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _abortDrain = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private string? _signal;

    public StopSignals(CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first signal (or the caller's token).</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Cancelled by a second signal: stop waiting for open connections.</summary>
    public CancellationToken DrainAborted => _abortDrain.Token;

    /// <summary>"SIGTERM" or "SIGINT"; "Cancellation" when the caller's token stopped us.</summary>
    public string Reason => Volatile.Read(ref _signal) ?? "Cancellation";

    public void Dispose()
    {
        // Registrations first, so no handler runs against a disposed source.
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
        _abortDrain.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Handled here: no default termination before the listeners are closed.
        context.Cancel = true;
        if (_stop.IsCancellationRequested)
        {
            _abortDrain.Cancel();
            return;
        }

        Volatile.Write(ref _signal, context.Signal.ToString());
        _stop.Cancel();
    }
}
