using Whistle.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddWhistleApi();

var app = builder.Build();
app.MapWhistleApi();
app.Run();

/// <summary>The entry point, visible to the tests.</summary>
public partial class Program;
