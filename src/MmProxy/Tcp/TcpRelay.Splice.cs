namespace MmProxy.Tcp;

/// <summary>
/// FIN bookkeeping for the splice pump. A peer's reset is reported once (sk_err): when the other
/// direction's write consumes it, a later read of that socket returns 0 as if the peer had sent FIN.
/// Knowing whether we already shut down a socket's sending side lets the pump tell the two apart
/// (see <see cref="SpliceRelayPump"/>), so a reset is never passed on as a clean FIN.
/// </summary>
internal sealed partial class TcpRelay
{
    private int _finPassedOn;

    /// <summary>Records, before the shutdown(SHUT_WR), that <paramref name="direction"/> passed its source's FIN on.</summary>
    public void OnPassingOnFin(RelayDirection direction) => Interlocked.Or(ref _finPassedOn, 1 << (int)direction);

    /// <summary>True once <paramref name="direction"/> passed (or started passing) a FIN to its destination.</summary>
    public bool HasPassedOnFin(RelayDirection direction) => (Volatile.Read(ref _finPassedOn) & (1 << (int)direction)) != 0;
}
