using System.Globalization;

namespace MmProxy.Interop;

/// <summary>
/// The network namespace's ephemeral port range (net.ipv4.ip_local_port_range, which also governs
/// IPv6), read once. A socket-level IP_LOCAL_PORT_RANGE is honoured by the kernel only inside it.
/// </summary>
internal static class LocalPortRange
{
    private const string Path = "/proc/sys/net/ipv4/ip_local_port_range";
    private static readonly (int Low, int High) Range = Read();

    public static bool Contains(int port) => port >= Range.Low && port <= Range.High;

    private static (int Low, int High) Read()
    {
        try
        {
            string[] parts = File.ReadAllText(Path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int low)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int high))
            {
                return (low, high);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return (1, 0); // Unknown: contains nothing, so every bind stays a plain bind().
    }
}
