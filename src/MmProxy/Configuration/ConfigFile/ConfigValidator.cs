using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MmProxy.Cli;
using MmProxy.Configuration.Settings;
using MmProxy.ProxyProtocol;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>
/// Turns a <see cref="ConfigDocument"/> into a <see cref="ProxyConfig"/>: defaults as go-mmproxy's
/// flags, every value checked, allowed-subnets files read, and no two listeners on one port.
/// Stops at the first error (one clear message beats a list of consequences).
/// </summary>
internal static class ConfigValidator
{
    private const string Example = "{\"listeners\": [{\"listen\": \"0.0.0.0:8443\", \"ipv4\": \"127.0.0.1:443\"}]}";

    public static ConfigLoadResult Validate(ConfigDocument document, string source, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(document);
        var warnings = new List<string>();
        if (document.Listeners is null || document.Listeners.Count == 0)
        {
            return ConfigLoadResult.Failure($"{source}: field \"listeners\": no listener configured; add at least one, for example {Example}", warnings);
        }

        var listeners = new List<ListenerConfig>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < document.Listeners.Count; i++)
        {
            ListenerDocument? entry = document.Listeners[i];
            if (entry is null)
            {
                return ConfigLoadResult.Failure($"{source}: {ConfigErrors.Label(i, null)}: null; expected an object such as {{\"listen\": \"0.0.0.0:8443\"}} (or remove it)", warnings);
            }

            var check = new ListenerChecker(source, i, entry.Name, baseDirectory, warnings);
            ListenerConfig? listener = check.Listener(entry);
            if (listener is null)
            {
                return ConfigLoadResult.Failure(check.Error!, warnings);
            }

            if (listener.Name is { } name)
            {
                if (names.TryGetValue(name, out int other))
                {
                    return ConfigLoadResult.Failure(ConfigErrors.Field(source, i, name, "name",
                        $"listeners[{other}] has the same name; names must be unique (they name listeners in logs and reloads)"), warnings);
                }

                names.Add(name, i);
            }

            foreach (ListenerConfig earlier in listeners)
            {
                if (Conflicts(earlier, listener))
                {
                    return ConfigLoadResult.Failure(ConfigErrors.Field(source, i, listener.Name, "listen",
                        $"{Describe(listener)} overlaps {Describe(earlier)} of {earlier.Label}: two listeners of one protocol cannot share a port; change one of the ports"), warnings);
                }
            }

            listeners.Add(listener);
        }

        return ConfigLoadResult.Success(new ProxyConfig(source, listeners), warnings);
    }

    private static string Describe(ListenerConfig l) =>
        $"{(l.Template.Protocol == TransportProtocol.Udp ? "udp" : "tcp")} {FormatAddress(l.ListenAddress)}:{l.ListenPorts}";

    private static string FormatAddress(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString();

    // The kernel refuses a second bind of a port on the same address, or on any address when one is a wildcard.
    private static bool Conflicts(ListenerConfig a, ListenerConfig b) =>
        a.Template.Protocol == b.Template.Protocol
        && a.ListenPorts.Overlaps(b.ListenPorts)
        && (a.ListenAddress.Equals(b.ListenAddress) || IsWildcard(a.ListenAddress) || IsWildcard(b.ListenAddress));

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
}
