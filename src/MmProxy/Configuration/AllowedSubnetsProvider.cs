namespace MmProxy.Configuration;

/// <summary>
/// Holds the current <see cref="AllowedSubnets"/> snapshot; a reload swaps it atomically while
/// accept loops keep reading it without locks.
/// </summary>
internal sealed class AllowedSubnetsProvider
{
    private AllowedSubnets _current;

    public AllowedSubnetsProvider(AllowedSubnets initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = initial;
    }

    public AllowedSubnets Current => Volatile.Read(ref _current);

    /// <summary>Replaces the snapshot; returns the previous one.</summary>
    public AllowedSubnets Replace(AllowedSubnets next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return Interlocked.Exchange(ref _current, next);
    }
}
