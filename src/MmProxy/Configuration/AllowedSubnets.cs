using System.Net;

namespace MmProxy.Configuration;

/// <summary>
/// An immutable snapshot of the load balancers' subnets allowed to connect. Replaced as a whole
/// (see <see cref="AllowedSubnetsProvider"/>), never mutated, so readers need no lock.
/// </summary>
internal sealed class AllowedSubnets
{
    private readonly IPNetwork[]? _networks;

    private AllowedSubnets(IPNetwork[]? networks) => _networks = networks;

    /// <summary>No file given: every peer is allowed.</summary>
    public static AllowedSubnets AllowAll { get; } = new(null);

    public bool AllowsAll => _networks is null;

    public IReadOnlyList<IPNetwork> Networks => _networks ?? [];

    public static AllowedSubnets Create(IEnumerable<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        return new AllowedSubnets([.. networks]);
    }

    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_networks is null)
        {
            return true;
        }

        // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; they belong to IPv4 subnets.
        IPAddress? mapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : null;
        foreach (IPNetwork network in _networks)
        {
            if (network.Contains(address) || (mapped is not null && network.Contains(mapped)))
            {
                return true;
            }
        }

        return false;
    }
}
