using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MmProxy.Configuration.Settings;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>
/// Reads a configuration file (JSON, comments and trailing commas allowed) and validates it. Every
/// error names the file, the listener (index, and name when the file gives one) and the field.
/// </summary>
internal static partial class ConfigFileLoader
{
    public static ConfigLoadResult LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return ConfigLoadResult.Failure($"{path}: cannot read the configuration file: {ex.Message}", []);
        }

        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? "/";
        return Parse(text, path, directory);
    }

    /// <param name="text">The file's contents.</param>
    /// <param name="source">The file name used in messages.</param>
    /// <param name="baseDirectory">Relative allowed-subnets paths are resolved against it (the file's directory).</param>
    public static ConfigLoadResult Parse(string text, string source, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        ConfigDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(text, ConfigJsonContext.Default.ConfigDocument);
        }
        catch (JsonException ex)
        {
            return ConfigLoadResult.Failure(DescribeJsonError(ex, text, source), []);
        }

        if (document is null)
        {
            return ConfigLoadResult.Failure($"{source}: the file holds null; expected an object such as {{\"listeners\": [{{\"listen\": \"0.0.0.0:8443\", \"ipv4\": \"127.0.0.1:443\"}}]}}", []);
        }

        return ConfigValidator.Validate(document, source, baseDirectory);
    }

    private static string DescribeJsonError(JsonException ex, string text, string source)
    {
        string where = ex.LineNumber is { } line
            ? string.Create(CultureInfo.InvariantCulture, $"{source}:{line + 1}:{(ex.BytePositionInLine ?? 0) + 1}")
            : source;
        string path = ex.Path ?? "$";
        Match m = ListenerPath().Match(path);
        string? unmapped = UnmappedProperty().Match(ex.Message) is { Success: true } u ? u.Groups[1].Value : null;
        string problem;
        if (unmapped is not null)
        {
            problem = $"unknown field \"{ConfigErrors.Printable(unmapped)}\": check its spelling (fields: {(m.Success ? ListenerFields : "listeners")})";
        }
        else if (ex.Message.Contains("could not be converted", StringComparison.Ordinal))
        {
            string field = m.Success && m.Groups[2].Success ? m.Groups[2].Value : path;
            problem = $"the value has the wrong type: {ExpectedType(field)}";
        }
        else
        {
            problem = "not valid JSON: " + FirstSentence(ex.Message);
        }

        if (!m.Success)
        {
            return $"{where}: {problem}";
        }

        int index = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        string label = ConfigErrors.Label(index, NameOf(text, index));
        return m.Groups[2].Success && unmapped is null
            ? $"{where}: {label}: field \"{m.Groups[2].Value}\": {problem}"
            : $"{where}: {label}: {problem}";
    }

    private static readonly string ListenerFields =
        string.Join(", ", [.. ListenerSettings.AddressFields, .. ListenerSettings.All.Select(s => s.Field)]);

    private static string ExpectedType(string field) => field switch
    {
        "name" or "role" or "protocol" or "listen" or "ipv4" or "ipv6" or "remote" => "expected a string",
        "listeners[]" or "$" or "$.listeners" => "expected \"listeners\": [ {...}, ... ]",
        _ when ListenerSettings.All.FirstOrDefault(s => s.Field == field) is IntegerSetting => "expected an integer (no quotes)",
        _ when ListenerSettings.All.FirstOrDefault(s => s.Field == field) is SwitchSetting or FlagSetting => "expected true or false (no quotes)",
        _ when ListenerSettings.All.FirstOrDefault(s => s.Field == field) is ChoiceSetting choice => "expected a string: " + choice.Expected,
        _ => "see the README section \"Configuration file\"",
    };

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }

    // The listener's name for the message, when the JSON is well-formed enough to find it.
    private static string? NameOf(string text, int index)
    {
        try
        {
            using var json = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("listeners", out JsonElement listeners)
                && listeners.ValueKind == JsonValueKind.Array && index < listeners.GetArrayLength()
                && listeners[index].ValueKind == JsonValueKind.Object
                && listeners[index].TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String)
            {
                return name.GetString();
            }
        }
        catch (JsonException)
        {
            // Not parseable: no name to show.
        }

        return null;
    }

    [GeneratedRegex(@"^\$\.listeners\[(\d+)\](?:\.([A-Za-z0-9_]+))?")]
    private static partial Regex ListenerPath();

    [GeneratedRegex("The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnmappedProperty();
}
