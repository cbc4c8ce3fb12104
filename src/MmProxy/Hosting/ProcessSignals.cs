using System.Runtime.InteropServices;

namespace MmProxy.Hosting;

/// <summary>
/// Every signal the proxy handles, in one place: the first SIGINT/SIGTERM asks to stop (listeners
/// close, open connections drain), a second one while draining stops waiting for them; SIGHUP asks
/// for a reload (several while one runs make one more). Their default actions (terminate) never run.
/// </summary>
internal sealed class ProcessSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _abortDrain = new();
    private readonly SemaphoreSlim _reloads = new(0, 1);
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private readonly PosixSignalRegistration _sighup;
    private string? _signal;

    public ProcessSignals(CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // `nohup mmproxy` inherits SIGHUP ignored, which would hide it from the registration below
        // (the reload). SIGINT/SIGTERM stay as inherited: the runtime took over at start-up what it
        // could, and a default action restored now would kill the process without draining.
        Interop.SignalDisposition.RestoreDefault(Interop.SignalDisposition.SigHup);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStop);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStop);
        _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup);
    }

    /// <summary>Cancelled by the first stop signal (or the caller's token).</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Cancelled by a second stop signal: stop waiting for open connections.</summary>
    public CancellationToken DrainAborted => _abortDrain.Token;

    /// <summary>"SIGTERM" or "SIGINT"; "Cancellation" when the caller's token stopped us.</summary>
    public string Reason => Volatile.Read(ref _signal) ?? "Cancellation";

    /// <summary>Completes when SIGHUP asks for a reload; cancelled on stop.</summary>
    public Task WaitForReloadAsync() => _reloads.WaitAsync(_stop.Token);

    public void Dispose()
    {
        // Registrations first, so no handler runs against a disposed source.
        _sigint.Dispose();
        _sigterm.Dispose();
        _sighup.Dispose();
        _stop.Dispose();
        _abortDrain.Dispose();
        _reloads.Dispose();
    }

    private void OnStop(PosixSignalContext context)
    {
        context.Cancel = true;
        if (_stop.IsCancellationRequested)
        {
            _abortDrain.Cancel();
            return;
        }

        Volatile.Write(ref _signal, context.Signal.ToString());
        _stop.Cancel();
    }

    private void OnHangup(PosixSignalContext context)
    {
        context.Cancel = true;
        try
        {
            _reloads.Release();
        }
        catch (SemaphoreFullException)
        {
            // A reload is already pending: it will read the newest configuration.
        }
    }
}
