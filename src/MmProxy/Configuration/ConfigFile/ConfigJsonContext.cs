using System.Text.Json;
using System.Text.Json.Serialization;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>
/// Source-generated (trim- and AOT-safe) reader of the configuration file. Unknown fields are
/// errors: a misspelt "alowedSubnets" must not silently allow everyone.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ConfigDocument))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
