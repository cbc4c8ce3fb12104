using MmProxy.Configuration;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// The allowed-subnets check for datagram senders without an allocation per datagram: a small
/// direct-mapped cache of recent senders' verdicts, valid for one subnets snapshot (a reload swaps
/// the snapshot and so empties the cache). One per listener loop: not thread-safe.
/// </summary>
internal sealed class UdpPeerFilter(AllowedSubnetsProvider provider)
{
    private const int Slots = 64;
    private readonly Entry[] _entries = new Entry[Slots];

    public bool IsAllowed(ProxyAddress sender)
    {
        AllowedSubnets current = provider.Current;
        if (current.AllowsAll)
        {
            return true;
        }

        // The verdict depends on the address only, not the port.
        Span<byte> bytes = stackalloc byte[16];
        if (!sender.TryWriteAddressBytes(bytes, out int written))
        {
            return false;
        }

        ProxyAddress address = ProxyAddress.FromAddressBytes(bytes[..written], 0);
        ref Entry entry = ref _entries[(int)((uint)address.GetHashCode() % Slots)];
        if (ReferenceEquals(entry.Snapshot, current) && entry.Address.Equals(address))
        {
            return entry.Allowed;
        }

        bool allowed = current.Contains(address.ToIPAddress());
        entry = new Entry(current, address, allowed);
        return allowed;
    }

    private readonly record struct Entry(AllowedSubnets? Snapshot, ProxyAddress Address, bool Allowed);
}
