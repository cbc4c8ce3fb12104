namespace MmProxy.Tcp;

/// <summary>Which way a relay pump moves bytes.</summary>
internal enum RelayDirection
{
    ToUpstream,
    ToClient,
}
