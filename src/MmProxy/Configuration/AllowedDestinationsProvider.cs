namespace MmProxy.Configuration;

/// <summary>The current <see cref="AllowedDestinations"/> of a running listener; a reload swaps it while the loops read it without locks.</summary>
internal sealed class AllowedDestinationsProvider(AllowedDestinations initial)
{
    private AllowedDestinations _current = initial ?? throw new ArgumentNullException(nameof(initial));

    public AllowedDestinations Current => Volatile.Read(ref _current);

    public void Replace(AllowedDestinations next)
    {
        ArgumentNullException.ThrowIfNull(next);
        Volatile.Write(ref _current, next);
    }
}
