using System.Net;

namespace MmProxy.Tcp;

/// <summary>
/// Every TCP listening address of this process (all listeners, every port of a range), so that a
/// dynamic destination can never be one of them: a header pointing at a sibling listener would pass
/// its allowed subnets with a forged client, or chain the proxy through itself. Written when
/// listeners open and close; read lock-free per connection.
/// </summary>
internal static class ListeningEndPoints
{
    private static readonly Lock Gate = new();
    private static IPEndPoint[] _current = [];

    public static void Add(IPEndPoint endPoint)
    {
        lock (Gate)
        {
            Volatile.Write(ref _current, [.. _current, endPoint]);
        }
    }

    public static void Remove(IPEndPoint endPoint)
    {
        lock (Gate)
        {
            int i = Array.IndexOf(_current, endPoint);
            if (i >= 0)
            {
                Volatile.Write(ref _current, [.. _current[..i], .. _current[(i + 1)..]]);
            }
        }
    }

    /// <summary>Whether <paramref name="address"/>:<paramref name="port"/> reaches a listener of this process (wildcards and v4-mapped forms included).</summary>
    public static bool Contains(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPAddress plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (IPEndPoint listening in Volatile.Read(ref _current))
        {
            IPAddress bound = listening.Address.IsIPv4MappedToIPv6 ? listening.Address.MapToIPv4() : listening.Address;
            if (listening.Port == port && (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any) || bound.Equals(plain)))
            {
                return true;
            }
        }

        return false;
    }
}
