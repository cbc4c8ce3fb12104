using System.Globalization;
using System.Net;
using System.Text.Json;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>
/// A listener's allow lists, each a file path (relative to the configuration file) or an inline
/// list: "allowedSubnets" (who may send headers) and "allowedDestinations" (where a dynamic
/// destination may go). The first problem lands in <see cref="Error"/>.
/// </summary>
internal sealed class ListenerAllowLists(string source, int index, string? name, string baseDirectory, List<string> warnings)
{
    public string? Error { get; private set; }

    public bool TrySubnets(JsonElement? element, out AllowedSubnets? subnets, out string? sourceName, out string? path)
    {
        subnets = null;
        sourceName = null;
        path = null;
        if (element is not { } e || e.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (e.ValueKind == JsonValueKind.String)
        {
            string file = e.GetString()!;
            if (file.Length == 0)
            {
                Fail("allowedSubnets", "an empty path: give a file of subnets, an inline list such as [\"10.0.0.0/8\"], or leave the field out to allow everyone");
                return false;
            }

            path = System.IO.Path.IsPathRooted(file) ? file : System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, file));
            AllowedSubnetsLoadResult loaded = AllowedSubnetsLoader.LoadFile(path);
            warnings.AddRange(loaded.Warnings);
            if (!loaded.Succeeded)
            {
                Fail("allowedSubnets", loaded.Error!);
                return false;
            }

            subnets = loaded.Subnets;
            sourceName = path;
            return true;
        }

        if (e.ValueKind != JsonValueKind.Array)
        {
            Fail("allowedSubnets", "expected a file path (\"/etc/mmproxy/allowed.txt\") or a list of subnets ([\"10.0.0.0/8\", \"2001:db8::/32\"])");
            return false;
        }

        var networks = new List<IPNetwork>();
        int i = 0;
        foreach (JsonElement item in e.EnumerateArray())
        {
            string? text = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            string? problem = "not a string";
            if (text is null || !AllowedSubnetsLoader.TryParseNetwork(text, out IPNetwork network, out bool masked, out problem))
            {
                Fail("allowedSubnets", string.Create(CultureInfo.InvariantCulture,
                    $"entry {i}: {problem}: each entry is a subnet such as \"192.0.2.0/24\" or \"2001:db8::/32\""));
                return false;
            }

            if (masked)
            {
                warnings.Add($"{source}: {ConfigErrors.Label(index, name)}: allowedSubnets entry {i.ToString(CultureInfo.InvariantCulture)}: {ConfigErrors.Printable(text)} has host bits set; using {network}");
            }

            networks.Add(network);
            i++;
        }

        if (networks.Count == 0)
        {
            Fail("allowedSubnets", "an empty list would refuse every load balancer: list at least one subnet, or leave the field out to allow everyone");
            return false;
        }

        subnets = AllowedSubnets.Create(networks);
        sourceName = "inline";
        return true;
    }

    public bool TryDestinations(JsonElement? element, out AllowedDestinations? destinations, out string? path)
    {
        destinations = null;
        path = null;
        if (element is not { } e || e.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        AllowedDestinationsLoadResult loaded;
        if (e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } file)
        {
            path = System.IO.Path.IsPathRooted(file) ? file : System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, file));
            loaded = AllowedDestinationsLoader.LoadFile(path);
        }
        else if (e.ValueKind == JsonValueKind.Array && e.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String))
        {
            loaded = AllowedDestinationsLoader.Parse(e.EnumerateArray().Select(item => item.GetString()!), $"{source}: {ConfigErrors.Label(index, name)}", inline: true);
        }
        else
        {
            Fail("allowedDestinations", "expected a file path (\"/etc/mmproxy/destinations.txt\") or a list such as [\"127.0.0.1/32 8000-8999\", \"::1/128\"]");
            return false;
        }

        warnings.AddRange(loaded.Warnings);
        if (!loaded.Succeeded)
        {
            Fail("allowedDestinations", loaded.Error!);
            return false;
        }

        destinations = loaded.Destinations;
        return true;
    }

    private void Fail(string field, string problem) => Error = ConfigErrors.Field(source, index, name, field, problem);
}
