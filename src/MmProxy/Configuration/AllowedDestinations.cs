using System.Net;

namespace MmProxy.Configuration;

/// <summary>
/// Where --dynamic-destination may connect: the header's destination must fall in one entry. An
/// immutable value, compared by its entries (a reload swaps it under the running listener when it changes).
/// </summary>
internal sealed class AllowedDestinations : IEquatable<AllowedDestinations>
{
    private readonly AllowedDestination[] _entries;

    public AllowedDestinations(IEnumerable<AllowedDestination> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = [.. entries];
    }

    public IReadOnlyList<AllowedDestination> Entries => _entries;

    public bool Contains(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPAddress plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (AllowedDestination entry in _entries)
        {
            if (entry.Contains(plain, port))
            {
                return true;
            }
        }

        return false;
    }

    public bool Equals(AllowedDestinations? other) => other is not null && _entries.AsSpan().SequenceEqual(other._entries);

    public override bool Equals(object? obj) => Equals(obj as AllowedDestinations);

    public override int GetHashCode() => _entries.Length;
}
